using System.Diagnostics;
using Ddpm.Core.Tests.Fuzzing;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>fuzz</c>: thousands of corrupted image, IDX and checkpoint files through the library's readers
/// (the same <see cref="InputFuzzer"/> the test suite runs a few hundred cases of); prints a table and
/// every input that raised an undocumented exception, with its case number and mutation.
/// </summary>
internal static class FuzzBenchmark
{
    public static int Run(int cases, int seed)
    {
        string work = Path.Combine(Path.GetTempPath(), $"ddpm-fuzz-{Environment.ProcessId}");
        var reports = new List<(FuzzReport Report, TimeSpan Elapsed)>();
        try
        {
            foreach (FuzzTarget target in Enum.GetValues<FuzzTarget>())
            {
                var clock = Stopwatch.StartNew();
                reports.Add((InputFuzzer.Run(target, cases, seed, Path.Combine(work, target.ToString())), clock.Elapsed));
            }
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }

        Console.WriteLine($"Seed {seed}, {cases} cases per reader");
        Console.WriteLine();
        Console.WriteLine("| Reader | cases | still loaded | refused as documented | undocumented exceptions | time |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach ((FuzzReport report, TimeSpan elapsed) in reports)
        {
            Console.WriteLine($"| {report.Target} | {report.Cases} | {report.Loaded} | {report.Refused} | {report.Failures.Count} | {elapsed.TotalSeconds:F1} s |");
        }

        var failures = reports.SelectMany(r => r.Report.Failures).ToList();
        foreach (FuzzFailure failure in failures)
        {
            Console.WriteLine($"FAIL {failure.Target} case {failure.Case} ({failure.Mutation}): {failure.Exception}");
        }

        Console.WriteLine(failures.Count == 0 ? "ONLY DOCUMENTED EXCEPTIONS" : $"{failures.Count} UNDOCUMENTED EXCEPTION(S)");
        return failures.Count == 0 ? 0 : 1;
    }
}
