using System.Diagnostics;
using System.Text.Json;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>vs-pytorch</c>: the notebook's training step (or sampling step) under PyTorch
/// (tests/reference/notebook_speed.py), as a bare TorchSharp loop, and through Ddpm.Core, each in
/// its own process, in turn (PyTorch, bare, library, PyTorch, ...) for several rounds; prints the
/// medians, the ratios, the achieved FLOP/s and the GEMM peak measured in the same run. <c>--network unet</c>
/// measures the default UNet instead; <c>--precision bf16</c> the library's bfloat16 training step against PyTorch's
/// autocast (no bare loop: TorchSharp has no autocast).
/// </summary>
internal static class VsPyTorch
{
    /// <summary>Who is measured: PyTorch, a bare TorchSharp loop (float32 only: TorchSharp has no autocast) and Ddpm.Core.</summary>
    private static string[] ContendersFor(SpeedSettings settings) => settings.IsBFloat16 ? ["pytorch", "library"] : ["pytorch", "bare", "library"];

    public static int Run(SpeedSettings settings, int rounds, IReadOnlyList<string> modes, IReadOnlyList<int> batchSizes, string python, string script, string? plotPrefix)
    {
        if (!File.Exists(script))
        {
            throw new ArgumentException($"--script '{script}' does not exist; run from the repository root or pass tests/reference/notebook_speed.py.");
        }

        if (!File.Exists(python))
        {
            throw new ArgumentException($"--python '{python}' does not exist; install PyTorch (Debian: apt-get install python3-torch, then /usr/bin/python3) or pass the interpreter that has it.");
        }

        if (settings.IsBFloat16 && modes.Any(m => m != "train"))
        {
            throw new ArgumentException("--precision bf16 compares training steps only (the library samples in float32); use --mode train.");
        }

        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; device {settings.Device}, {settings.Threads} threads; glibc malloc arenas: {(settings.Arenas > 0 ? $"at most {settings.Arenas} in every process" : "default")}");
        Console.WriteLine($"Model: {(settings.IsUNet ? "the default UNet" : "the notebook's SimpleUNet")}, {settings.Precision}, {settings.Channels}x{settings.ImageSize}x{settings.ImageSize}, batch {string.Join(", ", batchSizes)}, T = {settings.Timesteps}; {settings.Warmup} warm-up + {settings.Steps} timed steps per process, {rounds} rounds");
        // Counted here, not in the children, so that no second network raises their peak memory.
        double forwardGflop;
        using (nn.Module<Tensor, Tensor, Tensor> network = settings.Configuration.CreateNetwork())
        {
            forwardGflop = FlopCounter.ForwardFlopsPerImage(network, new ImageShape(settings.Channels, settings.ImageSize, settings.ImageSize)) / 1e9;
        }

        double torchSharpPeak = Child("bare", "matmul", settings, python, script).GetProperty("gflopPerSecond").GetDouble();
        JsonElement pyTorchMatmul = Child("pytorch", "matmul", settings, python, script);
        double pyTorchPeak = pyTorchMatmul.GetProperty("gflopPerSecond").GetDouble();
        string pyTorchName = $"PyTorch {pyTorchMatmul.GetProperty("version").GetString()}";
        Console.WriteLine($"fp32 GEMM 2048x2048: TorchSharp {torchSharpPeak:F1} GFLOP/s, {pyTorchName} {pyTorchPeak:F1} GFLOP/s");

        var sweep = new Dictionary<(string Mode, int BatchSize), Dictionary<string, (double Speed, double Memory)>>();
        foreach (int batchSize in batchSizes)
        {
            foreach (string mode in modes)
            {
                sweep[(mode, batchSize)] = Measure(settings with { BatchSize = batchSize }, rounds, mode, python, script, forwardGflop, torchSharpPeak, pyTorchName);
            }
        }

        if (batchSizes.Count > 1)
        {
            Summarise(sweep, ContendersFor(settings), pyTorchName, modes, batchSizes, plotPrefix, $"{(settings.IsUNet ? "default unet" : "notebook simpleunet")}, {settings.Precision}, {settings.Device}");
        }

        return 0;
    }

    private static Dictionary<string, (double Speed, double Memory)> Measure(SpeedSettings settings, int rounds, string mode, string python, string script, double forwardGflop, double torchSharpPeak, string pyTorchName)
    {
        {
            string[] contenders = ContendersFor(settings);
            var runs = contenders.ToDictionary(c => c, _ => new List<(double ImagesPerSecond, double PeakMiB)>());
            for (int round = 1; round <= rounds; round++)
            {
                foreach (string contender in contenders)
                {
                    JsonElement result = Child(contender, mode, settings, python, script);
                    double imagesPerSecond = result.GetProperty("imagesPerSecond").GetDouble();
                    double peak = result.GetProperty("peakMemoryMiB").GetDouble();
                    runs[contender].Add((imagesPerSecond, peak));
                    Console.WriteLine($"  {mode} round {round} {contender,-8} {imagesPerSecond,8:F3} images/s  peak {peak,7:F0} MiB");
                }
            }

            // A training step is a forward pass and a backward pass of about twice its cost.
            double flopsPerImage = forwardGflop * (mode == "train" ? 3 : 1);
            Console.WriteLine();
            Console.WriteLine($"### {mode}, batch {settings.BatchSize}: medians of {rounds} processes ({forwardGflop:F2} GFLOP forward per image{(mode == "train" ? ", about 3x that per training image" : string.Empty)})");
            Console.WriteLine();
            Console.WriteLine("| Implementation | images/s (median) | min - max | peak process memory MiB (median) | GFLOP/s | % of TorchSharp's GEMM peak |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            var medians = new Dictionary<string, (double Speed, double Memory)>();
            foreach (string contender in contenders)
            {
                var values = runs[contender];
                double speed = Timing.Median(values.Select(v => v.ImagesPerSecond).ToList());
                double memory = Timing.Median(values.Select(v => v.PeakMiB).ToList());
                medians[contender] = (speed, memory);
                double achieved = speed * flopsPerImage;
                Console.WriteLine($"| {Name(contender, pyTorchName)} | {speed:F3} | {values.Min(v => v.ImagesPerSecond):F3} - {values.Max(v => v.ImagesPerSecond):F3} | {memory:F0} | {achieved:F1} | {100 * achieved / torchSharpPeak:F0}% |");
            }

            Console.WriteLine();
            Console.WriteLine($"Ddpm.Core / PyTorch: {medians["library"].Speed / medians["pytorch"].Speed:F2}x the images/s, {medians["library"].Memory / medians["pytorch"].Memory:F2}x the peak memory");
            if (medians.ContainsKey("bare"))
            {
                Console.WriteLine($"Ddpm.Core / bare TorchSharp: {medians["library"].Speed / medians["bare"].Speed:F3}x the images/s (library overhead {100 * (1 - (medians["library"].Speed / medians["bare"].Speed)):F1}%)");
            }

            Console.WriteLine();
            return medians;
        }
    }

    /// <summary>One table per mode across batch sizes and, with a prefix, its two charts: images/s and peak memory.</summary>
    private static void Summarise(Dictionary<(string Mode, int BatchSize), Dictionary<string, (double Speed, double Memory)>> sweep, string[] contenders, string pyTorchName, IReadOnlyList<string> modes, IReadOnlyList<int> batchSizes, string? plotPrefix, string title)
    {
        foreach (string mode in modes)
        {
            Console.WriteLine($"### {mode} by batch size: images/s (median), peak MiB (median)");
            Console.WriteLine();
            Console.WriteLine("| batch | " + string.Join(" | ", contenders.Select(c => $"{Name(c, pyTorchName)} img/s | MiB")) + " | Ddpm.Core / PyTorch |");
            Console.WriteLine("| ---: | " + string.Join(" | ", contenders.Select(_ => "---: | ---:")) + " | ---: |");
            foreach (int batchSize in batchSizes)
            {
                var medians = sweep[(mode, batchSize)];
                Console.WriteLine($"| {batchSize} | " + string.Join(" | ", contenders.Select(c => $"{medians[c].Speed:F3} | {medians[c].Memory:F0}")) + $" | {medians["library"].Speed / medians["pytorch"].Speed:F2}x |");
            }

            Console.WriteLine();
            if (plotPrefix is null)
            {
                continue;
            }

            string[] labels = batchSizes.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            ChartSeries Series(string contender, Func<(double Speed, double Memory), double> pick) =>
                new(Name(contender, pyTorchName), batchSizes.Select(b => pick(sweep[(mode, b)][contender])).ToList());
            LineChart.Save($"{plotPrefix}-{mode}-images-per-second.png", $"{Verb(mode)} images per second (median), {title}", "batch size", labels, contenders.Select(c => Series(c, m => m.Speed)).ToList());
            LineChart.Save($"{plotPrefix}-{mode}-peak-memory.png", $"{Verb(mode)} peak process memory, mib (median)", "batch size", labels, contenders.Select(c => Series(c, m => m.Memory)).ToList());
        }
    }

    private static string Verb(string mode) => mode == "train" ? "training:" : "sampling:";

    private static string Name(string contender, string pyTorchName) => contender switch
    {
        "pytorch" => pyTorchName,
        "bare" => "bare TorchSharp",
        _ => "Ddpm.Core",
    };

    /// <summary>Runs one measurement in a fresh process and returns the JSON object it printed last.</summary>
    private static JsonElement Child(string contender, string mode, SpeedSettings settings, string python, string script)
    {
        ProcessStartInfo info;
        if (contender == "pytorch")
        {
            info = new ProcessStartInfo(python);
            info.ArgumentList.Add(script);
            info.ArgumentList.Add("--mode");
            info.ArgumentList.Add(mode);
        }
        else
        {
            info = ChildProcess.Self();
            info.ArgumentList.Add("speed-child");
            info.ArgumentList.Add("--kind");
            info.ArgumentList.Add(mode == "matmul" ? "matmul" : contender);
            info.ArgumentList.Add("--mode");
            info.ArgumentList.Add(mode == "matmul" ? "train" : mode);
        }

        foreach (string argument in settings.ToArguments())
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        if (process.ExitCode != 0 || !lastLine.StartsWith('{'))
        {
            throw new InvalidOperationException($"{contender} {mode} exited with {process.ExitCode}: {error.Result.Trim()}\n{output.Trim()}");
        }

        return JsonDocument.Parse(lastLine).RootElement.Clone();
    }
}
