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
/// oneDNN at the full instruction set. Each path is put into effect directly (not through
/// <see cref="CpuKernels.Ensure"/>, which would refuse a wrong one), then checked and timed: on a machine
/// where a path computes wrongly, its numbers are wrong but its speed is right. <c>auto</c> is the
/// library's own choice. The loop is a bare TorchSharp step (forward, MSE, backward, Adam) that never
/// looks at the loss, the same for every path.
/// </summary>
internal static class KernelPathBenchmark
{
    private const string Reference = "onednn";
    private static readonly string[] Paths = [Reference, "onednn-avx", "onednn-sse41", "onednn-off", "auto"];

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

        double reference = Timing.Median(speeds[Reference]);
        Console.WriteLine();
        Console.WriteLine($"{"path",-14} {"img/s",8} {"vs onednn",10}  kernel check");
        foreach (string path in Paths)
        {
            double median = Timing.Median(speeds[path]);
            JsonElement detail = details[path];
            string chosen = detail.TryGetProperty("chosen", out JsonElement p) ? $"chose {p.GetString()}: " : string.Empty;
            Console.WriteLine($"{path,-14} {median,8:F1} {median / reference,10:P0}  {chosen}{(detail.GetProperty("passed").GetBoolean() ? "passed" : "FAILED")} {detail.GetProperty("check").GetString()}");
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
        CpuKernelCheckResult check;
        switch (path)
        {
            case "auto":
                CpuKernelSelection selection = CpuKernels.Ensure();
                result["chosen"] = CpuKernels.Name(selection.Path);
                check = selection.Check;
                break;
            case "onednn-off":
                if (!LibTorchSwitches.TrySet(oneDnn: false, nnpack: false))
                {
                    throw new InvalidOperationException(LibTorchSwitches.Unavailable);
                }

                check = CpuKernelCheck.Run();
                break;
            case Reference or "onednn-avx" or "onednn-sse41":
                // The parent set ONEDNN_MAX_CPU_ISA for the limited paths; NNPACK is off as those paths have it.
                LibTorchSwitches.TrySet(oneDnn: true, nnpack: path == Reference);
                check = CpuKernelCheck.Run();
                break;
            default:
                throw new ArgumentException($"--path is '{path}'; use {string.Join(", ", Paths)}.");
        }

        result["passed"] = check.Passed;
        result["check"] = check.ToString();

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

        result["imagesPerSecond"] = batch / Timing.Median(times);
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
        if (path is "onednn-avx" or "onednn-sse41")
        {
            info.Environment["ONEDNN_MAX_CPU_ISA"] = path == "onednn-avx" ? "AVX" : "SSE41";
        }
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
}
