using System.Diagnostics;
using System.Text.Json;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>kernel-paths</c>: training speed of the default UNet on each CPU kernel path, each in its own process
/// (oneDNN's instruction-set limit holds for a whole process), in rounds, with medians and the ratio to
/// oneDNN at the full instruction set. That reference is timed without the kernel check, so on a machine
/// where it computes wrongly its numbers are wrong but its speed is right. The loop is a bare TorchSharp
/// step (forward, MSE, backward, Adam) that never looks at the loss, the same for every path.
/// </summary>
internal static class KernelPathBenchmark
{
    private const string Reference = "onednn-unchecked";
    private static readonly string[] Paths = [Reference, "auto", "onednn-avx", "onednn-sse41", "onednn-off"];

    public static int Run(int rounds, int batch, int steps, int imageSize, int threads)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; {threads} threads");
        Console.WriteLine($"Default UNet (UNetPresets.Small, 1x{imageSize}x{imageSize}), batch {batch}, median of {steps} steps after 3 warm-up steps, {rounds} round(s), each path in its own process");
        var speeds = Paths.ToDictionary(p => p, _ => new List<double>());
        var details = new Dictionary<string, JsonElement>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (string path in Paths)
            {
                JsonElement result = Child(path, batch, steps, imageSize, threads);
                speeds[path].Add(result.GetProperty("imagesPerSecond").GetDouble());
                details[path] = result;
            }
        }

        double reference = Median(speeds[Reference]);
        Console.WriteLine();
        Console.WriteLine($"{"path",-18} {"img/s",8} {"vs full ISA",12}  check");
        foreach (string path in Paths)
        {
            double median = Median(speeds[path]);
            JsonElement detail = details[path];
            string check = detail.TryGetProperty("check", out JsonElement c) ? c.GetString()! : "not run (reference: speed only)";
            string chosen = detail.TryGetProperty("chosen", out JsonElement p) ? $"chose {p.GetString()}; " : string.Empty;
            Console.WriteLine($"{path,-18} {median,8:F1} {median / reference,11:P0}  {chosen}{check}");
        }

        Console.WriteLine();
        Console.WriteLine($"CPU: {details[Reference].GetProperty("cpu").GetString()}; cache topology hidden: {details[Reference].GetProperty("cacheTopologyHidden").GetBoolean()}");
        return 0;
    }

    /// <summary>One path's measurement, in this process, printed as one JSON line.</summary>
    public static int RunChild(string path, int batch, int steps, int imageSize, int threads)
    {
        set_num_threads(threads);
        var result = new Dictionary<string, object> { ["path"] = path };
        if (path != Reference)
        {
            if (!CpuKernels.TryParse(path, out CpuKernelPath requested))
            {
                throw new ArgumentException($"--path is '{path}'; use {string.Join(", ", Paths)}.");
            }

            CpuKernelSelection selection = CpuKernels.Ensure(requested);
            result["chosen"] = CpuKernels.Name(selection.Path);
            result["check"] = selection.Check.ToString();
        }

        manual_seed(0);
        using var network = UNetPresets.Small(1).CreateNetwork();
        network.train();
        using var optimizer = optim.Adam(network.parameters(), 1e-4);
        var times = new List<double>();
        for (int step = 0; step < steps + 3; step++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            Tensor x = randn(batch, 1, imageSize, imageSize);
            Tensor t = randint(0, 1000, [batch]);
            Tensor loss = nn.functional.mse_loss(network.call(x, t), x);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if (step >= 3)
            {
                times.Add(clock.Elapsed.TotalSeconds);
            }
        }

        result["imagesPerSecond"] = batch / Median(times);
        result["cpu"] = CpuKernels.Cpu;
        result["cacheTopologyHidden"] = CpuKernels.CacheTopologyHidden;
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static JsonElement Child(string path, int batch, int steps, int imageSize, int threads)
    {
        ProcessStartInfo info = ChildProcess.Self();
        foreach (string argument in new[] { "kernel-path-child", "--path", path, "--batch", $"{batch}", "--steps", $"{steps}", "--image-size", $"{imageSize}", "--threads", $"{threads}" })
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.Environment.Remove(CpuKernels.EnvironmentVariable);
        info.Environment.Remove("ONEDNN_MAX_CPU_ISA");
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The {path} child exited with {process.ExitCode}: {output}");
        }

        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
