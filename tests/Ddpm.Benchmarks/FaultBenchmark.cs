using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Ddpm.Core;
using Ddpm.Core.Training;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>fault</c>: runs a checkpointing training child, kills it with SIGKILL at a random moment, checks
/// the newest checkpoint loads, and repeats; the child resumes from the folder each time. A last
/// child runs to the end and must print DONE. <c>fault-child</c> is that child.
/// </summary>
internal static partial class FaultBenchmark
{
    private const int MinWaitMs = 1000;
    private const int MaxWaitMs = 6000;
    private static readonly TimeSpan FinalRunTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The child: trains with checkpoints in <paramref name="directory"/>, resuming from it when it holds one.</summary>
    public static int RunChild(string directory, int steps, int interval)
    {
        DdpmTrainerOptions options = BenchmarkSetup.TrainerOptions(steps);
        options.CheckpointDirectory = directory;
        options.CheckpointInterval = interval;
        options.CheckpointsToKeep = 3;
        var trainer = new DdpmTrainer(options);
        var dataset = BenchmarkSetup.Squares();
        bool resume = Directory.Exists(directory) && Directory.EnumerateFiles(directory, "checkpoint-*.ddpm").Any();
        bool started = false;
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (!started)
            {
                started = true;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"START {p.Step - 1}"));
            }
        });

        Console.WriteLine(resume ? $"RESUME {directory}" : $"FRESH {directory}");
        using DdpmModel model = resume ? trainer.Fit(dataset, resumeFrom: directory, progress) : trainer.Fit(dataset, progress);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE {model.TrainedSteps}"));
        return 0;
    }

    /// <summary>The parent: the kill loop, the final run, the table and the verdict.</summary>
    public static int RunParent(int kills, int steps, int interval, string? directory)
    {
        if (directory is not null && Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Console.Error.WriteLine($"--dir {directory} is not empty; give a new or empty folder (the benchmark deletes it when it succeeds).");
            return 2;
        }

        directory = Path.GetFullPath(directory ?? Path.Combine(Path.GetTempPath(), $"ddpm-fault-{Environment.ProcessId}"));
        if (Directory.Exists(directory))
        {
            // Only the default folder, named after this process, can get here non-empty: a stale one from an earlier process.
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        Console.WriteLine($"fault: {kills} SIGKILLs of a training child ({steps} steps, a checkpoint every {interval}, 3 kept), waits {MinWaitMs}-{MaxWaitMs} ms (Random(42)), then one run to the end");
        Console.WriteLine($"Checkpoint folder: {directory}");
        ProcessStartInfo shown = ChildStartInfo(directory, steps, interval);
        Console.WriteLine($"Child: {shown.FileName} {string.Join(' ', shown.ArgumentList)}");
        Console.WriteLine();

        var random = new Random(42);
        var failures = new List<string>();
        var rows = new List<KillRow>();
        long previousStep = -1;
        for (int kill = 1; kill <= kills; kill++)
        {
            long? expectedStart = NewestCheckpoint(directory)?.Step;
            int waitMs = random.Next(MinWaitMs, MaxWaitMs + 1);
            using var child = new Child(directory, steps, interval);
            bool exitedEarly = child.Process.WaitForExit(waitMs);
            if (!exitedEarly)
            {
                try
                {
                    // SIGKILL on Linux: no handler, finaliser or flush runs in the child.
                    child.Process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the wait and the kill.
                }
            }

            child.Process.WaitForExit();
            KillRow row = Inspect(kill, waitMs, exitedEarly, child, expectedStart, directory);
            rows.Add(row);
            Console.WriteLine(row.Describe());
            failures.AddRange(row.Failures);
            if (row.NewestStep is long newest)
            {
                if (newest < previousStep)
                {
                    failures.Add($"kill {kill}: the newest checkpoint went back from step {previousStep} to {newest}");
                }

                previousStep = newest;
            }
        }

        Console.WriteLine();
        Console.WriteLine("Final run, without a kill:");
        var clock = Stopwatch.StartNew();
        using (var final = new Child(directory, steps, interval))
        {
            if (!final.Process.WaitForExit(FinalRunTimeout))
            {
                final.Process.Kill(entireProcessTree: true);
                final.Process.WaitForExit();
                failures.Add($"final run: still running after {FinalRunTimeout.TotalMinutes} minutes, killed");
            }

            final.Process.WaitForExit();
            string expected = string.Create(CultureInfo.InvariantCulture, $"DONE {steps}");
            string? done = final.DoneLine;
            Console.WriteLine($"  exit code {final.Process.ExitCode}, started at step {final.StartStep?.ToString(CultureInfo.InvariantCulture) ?? "-"}, printed \"{done ?? "(no DONE)"}\" after {clock.Elapsed.TotalSeconds:F1} s");
            if (final.Process.ExitCode != 0 || done != expected)
            {
                failures.Add($"final run: exit code {final.Process.ExitCode}, printed \"{done ?? "(no DONE)"}\" instead of \"{expected}\"{final.ErrorTail()}");
            }

            (long Step, string Path)? newest = NewestCheckpoint(directory);
            if (newest is not { } last || last.Step != steps)
            {
                failures.Add($"final run: the newest checkpoint is {newest?.Path ?? "missing"}, not step {steps}");
            }
            else if (TryLoad(last.Path, out long trained, out string? error))
            {
                Console.WriteLine($"  final checkpoint {Path.GetFileName(last.Path)} loads, TrainedSteps = {trained}");
            }
            else
            {
                failures.Add($"final run: {Path.GetFileName(last.Path)} does not load: {error}");
            }
        }

        if (failures.Count == 0)
        {
            CompareWithUninterruptedRun(directory, steps, failures);
        }

        PrintTable(rows);
        int interrupted = rows.Count(r => !r.ExitedEarly);
        Console.WriteLine();
        Console.WriteLine($"{interrupted} of {rows.Count} children were killed mid-run ({rows.Count(r => r.ExitedEarly)} had already exited); {rows.Count(r => r.Resumed)} resumed from a checkpoint; {rows.Count(r => r.TempFiles > 0)} kill(s) left a temporary file.");
        if (interrupted < rows.Count)
        {
            Console.WriteLine("Children that exited by themselves had finished the run before their wait ended; raise --steps so that every kill lands mid-run.");
        }

        if (failures.Count == 0)
        {
            Console.WriteLine("ALL RESUMES SUCCEEDED");
            Directory.Delete(directory, recursive: true);
            return 0;
        }

        Console.WriteLine($"FAILED ({failures.Count}); the folder is kept: {directory}");
        foreach (string failure in failures)
        {
            Console.WriteLine($"  - {failure}");
        }

        return 1;
    }

    /// <summary>
    /// The trainer promises that a resumed run on the CPU reproduces the uninterrupted one exactly: trains
    /// the same run here, without checkpoints or kills, and compares its loss history and weights with
    /// the final checkpoint's.
    /// </summary>
    private static void CompareWithUninterruptedRun(string directory, int steps, List<string> failures)
    {
        Console.WriteLine();
        Console.WriteLine($"Reference: the same {steps}-step run without checkpoints or kills, in this process:");
        var clock = Stopwatch.StartNew();
        using DdpmModel reference = new DdpmTrainer(BenchmarkSetup.TrainerOptions(steps)).Fit(BenchmarkSetup.Squares());
        using DdpmModel resumed = DdpmModel.Load(NewestCheckpoint(directory)!.Value.Path);
        IReadOnlyList<float> expected = reference.LossHistory;
        IReadOnlyList<float> actual = resumed.LossHistory;
        int firstDifference = Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], -1);
        double weightDifference = MaxDifference(reference.Network, resumed.Network);
        double emaDifference = (reference.EmaNetwork, resumed.EmaNetwork) switch
        {
            (null, null) => 0,
            ({ } a, { } b) => MaxDifference(a, b),
            _ => double.PositiveInfinity,
        };
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {clock.Elapsed.TotalSeconds:F1} s; losses: {actual.Count} resumed vs {expected.Count} uninterrupted, {(firstDifference < 0 ? "all identical" : $"first difference at step {firstDifference + 1} ({actual[firstDifference]} vs {expected[firstDifference]})")}; largest weight difference {weightDifference:G3}, EMA {emaDifference:G3}"));
        if (expected.Count != actual.Count || firstDifference >= 0 || weightDifference != 0 || emaDifference != 0)
        {
            failures.Add("the resumed run does not reproduce the uninterrupted one exactly (see the reference line)");
        }
    }

    private static double MaxDifference(TorchSharp.torch.nn.Module a, TorchSharp.torch.nn.Module b)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        Dictionary<string, TorchSharp.torch.Tensor> left = a.state_dict();
        Dictionary<string, TorchSharp.torch.Tensor> right = b.state_dict();
        if (!left.Keys.Order().SequenceEqual(right.Keys.Order()))
        {
            return double.PositiveInfinity;
        }

        double largest = 0;
        foreach ((string name, TorchSharp.torch.Tensor value) in left)
        {
            TorchSharp.torch.Tensor other = right[name];
            if (!value.shape.SequenceEqual(other.shape))
            {
                return double.PositiveInfinity;
            }

            largest = Math.Max(largest, (value.to(TorchSharp.torch.ScalarType.Float64) - other.to(TorchSharp.torch.ScalarType.Float64)).abs().max().item<double>());
        }

        return largest;
    }

    /// <summary>This program again, with the <c>fault-child</c> command.</summary>
    private static ProcessStartInfo ChildStartInfo(string directory, int steps, int interval)
    {
        ProcessStartInfo info = ChildProcess.Self();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;

        string[] arguments =
        [
            "fault-child",
            "--dir", directory,
            "--steps", steps.ToString(CultureInfo.InvariantCulture),
            "--interval", interval.ToString(CultureInfo.InvariantCulture),
        ];
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static KillRow Inspect(int kill, int waitMs, bool exitedEarly, Child child, long? expectedStart, string directory)
    {
        var failures = new List<string>();
        if (exitedEarly && child.Process.ExitCode != 0)
        {
            failures.Add($"kill {kill}: the child exited by itself with code {child.Process.ExitCode} before the kill{child.ErrorTail()}");
        }

        // A resumed child must continue from the newest checkpoint that was there when it started.
        if (child.StartStep is long start && start != (expectedStart ?? 0))
        {
            failures.Add($"kill {kill}: the child started at step {start}, but the newest checkpoint was at step {expectedStart?.ToString(CultureInfo.InvariantCulture) ?? "none (expected 0)"}");
        }

        var files = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().ToList();
        int checkpoints = files.Count(f => CheckpointName().IsMatch(f));
        List<string> temporary = files.Where(f => f.StartsWith('.')).ToList();
        List<string> other = files.Where(f => !CheckpointName().IsMatch(f) && !f.StartsWith('.')).ToList();
        if (other.Count > 0)
        {
            failures.Add($"kill {kill}: unexpected file(s) in the checkpoint folder: {string.Join(", ", other)}");
        }

        (long Step, string Path)? newest = NewestCheckpoint(directory);
        bool? loaded = null;
        if (newest is { } found)
        {
            loaded = TryLoad(found.Path, out long trained, out string? error);
            if (loaded == false)
            {
                failures.Add($"kill {kill}: the newest checkpoint {Path.GetFileName(found.Path)} does not load: {error}");
            }
            else if (trained != found.Step)
            {
                failures.Add($"kill {kill}: {Path.GetFileName(found.Path)} loads but holds TrainedSteps = {trained}");
            }
        }

        string outcome = !exitedEarly
            ? "killed"
            : $"exited {child.Process.ExitCode}{(child.DoneLine is string done ? $" ({done})" : string.Empty)}";
        return new KillRow(kill, waitMs, exitedEarly, outcome, child.StartStep, child.Resumed, newest?.Step, loaded, checkpoints, temporary.Count, string.Join(", ", temporary), failures);
    }

    private static bool TryLoad(string path, out long trainedSteps, out string? error)
    {
        try
        {
            using DdpmModel model = DdpmModel.Load(path);
            trainedSteps = model.TrainedSteps;
            error = null;
            return true;
        }
        catch (Exception e)
        {
            trainedSteps = -1;
            error = $"{e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    private static (long Step, string Path)? NewestCheckpoint(string directory) =>
        Directory.EnumerateFiles(directory, "checkpoint-*.ddpm")
            .Select(p => (Match: CheckpointName().Match(Path.GetFileName(p)), Path: p))
            .Where(m => m.Match.Success)
            .Select(m => ((long Step, string Path)?)(long.Parse(m.Match.Groups[1].Value, CultureInfo.InvariantCulture), m.Path))
            .OrderByDescending(c => c!.Value.Step)
            .FirstOrDefault();

    private static void PrintTable(List<KillRow> rows)
    {
        Console.WriteLine();
        Console.WriteLine("| kill # | wait ms | outcome | child started at step | newest checkpoint step after the kill | load OK? | checkpoints | temp files |");
        Console.WriteLine("| ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |");
        foreach (KillRow row in rows)
        {
            string newest = row.NewestStep?.ToString(CultureInfo.InvariantCulture) ?? "none yet";
            string load = row.Loaded switch { true => "yes", false => "NO", null => "n/a" };
            string start = row.StartStep?.ToString(CultureInfo.InvariantCulture) ?? "-";
            Console.WriteLine($"| {row.Kill} | {row.WaitMs} | {row.Outcome} | {start} | {newest} | {load} | {row.Checkpoints} | {row.TempFiles} |");
        }
    }

    [GeneratedRegex(@"^checkpoint-(\d{1,18})\.ddpm$")]
    private static partial Regex CheckpointName();

    private sealed record KillRow(
        int Kill, int WaitMs, bool ExitedEarly, string Outcome, long? StartStep, bool Resumed, long? NewestStep, bool? Loaded,
        int Checkpoints, int TempFiles, string TempNames, IReadOnlyList<string> Failures)
    {
        public string Describe() => string.Create(
            CultureInfo.InvariantCulture,
            $"kill {Kill,2}: waited {WaitMs,4} ms, {Outcome}, child started at step {StartStep?.ToString(CultureInfo.InvariantCulture) ?? "-"}, newest checkpoint {NewestStep?.ToString(CultureInfo.InvariantCulture) ?? "none"}, load {Loaded switch { true => "OK", false => "FAILED", null => "n/a" }}, {Checkpoints} checkpoint(s){(TempFiles > 0 ? $", temp: {TempNames}" : string.Empty)}");
    }

    /// <summary>A started child process whose output lines are collected as they arrive.</summary>
    private sealed class Child : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly List<string> _errors = [];

        public Child(string directory, int steps, int interval)
        {
            Process = new Process { StartInfo = ChildStartInfo(directory, steps, interval) };
            Process.OutputDataReceived += (_, e) => Add(_lines, e.Data);
            Process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public string? DoneLine => Lines.LastOrDefault(l => l.StartsWith("DONE", StringComparison.Ordinal));

        public bool Resumed => Lines.Any(l => l.StartsWith("RESUME ", StringComparison.Ordinal));

        public long? StartStep => Lines
            .Where(l => l.StartsWith("START ", StringComparison.Ordinal))
            .Select(l => (long?)long.Parse(l.AsSpan(6), CultureInfo.InvariantCulture))
            .FirstOrDefault();

        public string ErrorTail()
        {
            lock (_errors)
            {
                return _errors.Count == 0 ? string.Empty : $"; stderr: {string.Join(" | ", _errors.TakeLast(8))}";
            }
        }

        public void Dispose() => Process.Dispose();

        private static void Add(List<string> lines, string? line)
        {
            if (line is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }
    }
}
