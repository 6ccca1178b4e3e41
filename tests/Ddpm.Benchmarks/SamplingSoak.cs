using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary><c>soak-sampling</c>: samples many images, one Sample call per batch of 100, and watches live tensors and memory.</summary>
internal static class SamplingSoak
{
    private const int BatchSize = 100;
    private const int PrintEvery = 5;

    public static int Run(int images)
    {
        int batches = (images + BatchSize - 1) / BatchSize;
        SimpleUNetConfiguration configuration = BenchmarkSetup.Network();
        Console.WriteLine($"soak-sampling: {images} images of 1x16x16 in {batches} batch(es) of up to {BatchSize}, untrained {configuration}, T = 50, BatchNorm batch statistics");
        Console.WriteLine($"{Environment.ProcessorCount} logical CPU(s), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");

        manual_seed(1);
        using var probe = new MemoryProbe();
        var reports = new List<SoakReport>();
        var clock = Stopwatch.StartNew();
        long before = Tensor.TotalCount;
        using (var model = new DdpmModel(
            new SimpleUNet(configuration), new NoiseScheduler(KnownBetaSchedules.Linear, 50), new ImageShape(1, BenchmarkSetup.ImageSize, BenchmarkSetup.ImageSize), configuration))
        {
            Console.WriteLine($"Live tensors before sampling (model built): {Tensor.TotalCount}");
            Console.WriteLine();
            Console.WriteLine(SoakSummary.Header("batch", $" {"elapsed s",10}"));
            for (int batch = 0; batch < batches; batch++)
            {
                int size = Math.Min(BatchSize, images - (batch * BatchSize));
                var sampler = new DdpmSampler(new DdpmSamplerOptions { Seed = batch, BatchSize = BatchSize, BatchNormMode = BatchNormMode.BatchStatistics });
                SoakReport? atLastStep = null;
                int number = batch + 1;
                using (Tensor sampled = sampler.Sample(model, size, step =>
                {
                    if (step.Timestep == 0)
                    {
                        atLastStep = SoakReport.Take(number, probe);
                    }
                }))
                {
                    _ = sampled.shape;
                }

                if (atLastStep is not SoakReport report)
                {
                    throw new InvalidOperationException($"The sampler never reported the last step (t = 0) of batch {number}.");
                }

                if (number % PrintEvery == 0 || number == batches)
                {
                    reports.Add(report);
                    Console.WriteLine(SoakSummary.Row(report, $" {clock.Elapsed.TotalSeconds,10:F1}"));
                }
            }
        }

        Console.WriteLine($"Live tensors after the model was disposed: {Tensor.TotalCount} (before the model: {before})");
        return SoakSummary.Print(reports, "batch", rssFrom: null);
    }
}
