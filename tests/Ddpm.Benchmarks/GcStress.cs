using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>gc-stress</c>: runs TorchSharp arithmetic (<c>--what ops</c>) or whole training runs (<c>--what train</c>) beside a
/// thread that collects garbage and runs finalizers without pause, and a thread that keeps a core busy. A
/// <see cref="Scalar"/> that TorchSharp creates for an operator (the alpha of <c>a + b</c>, the factor of <c>a * 0.5</c>)
/// is referenced by nothing once its handle is passed to native code, so its finalizer can free it while libtorch still
/// reads it; the stress makes that window likely. Ops: counts operations until the process dies or the time is up.
/// Train: the same seeded run N times, each then sampling 4 images (DPM-Solver++(2M), 20 steps); every run must end
/// with the same losses and images (exit 1 otherwise).
/// </summary>
internal static class GcStress
{
    public static int Run(string what, int runs, int steps, int imageSize, int batchSize, int seconds)
    {
        Console.WriteLine($"gc-stress {what}: GC.Collect + WaitForPendingFinalizers in a loop on one thread, a busy loop on another; {Environment.ProcessorCount} logical CPU(s)");
        return what switch
        {
            "ops" => Operators(seconds),
            "train" => Training(runs, steps, imageSize, batchSize),
            _ => throw new ArgumentException($"--what is '{what}'; use ops or train."),
        };
    }

    /// <summary>TorchSharp's own operators, which create a Scalar per call, for <paramref name="seconds"/>.</summary>
    private static int Operators(int seconds)
    {
        using Tensor a = randn(16, 3, 64, 64);
        using Tensor b = randn(16, 3, 64, 64);
        using var stress = new Stress();
        var clock = Stopwatch.StartNew();
        long count = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            using var scope = NewDisposeScope();
            Tensor sum = (a + b) * 0.5;
            _ = sum - a;
            count += 3;
        }

        Console.WriteLine($"{count:N0} operators in {clock.Elapsed.TotalSeconds:F0} s, no crash");
        return 0;
    }

    /// <summary>The same seeded training run <paramref name="runs"/> times; the losses must agree.</summary>
    private static int Training(int runs, int steps, int imageSize, int batchSize)
    {
        using var generator = new Generator(7);
        using Tensor images = rand(new long[] { 64, 3, imageSize, imageSize }, generator: generator).mul_(2).sub_(1);
        var dataset = new InMemoryImageDataset(images);
        using var stress = new Stress();
        float[]? first = null;
        Tensor? firstImages = null;
        int failures = 0;
        for (int run = 1; run <= runs; run++)
        {
            var clock = Stopwatch.StartNew();
            using DdpmModel model = new DdpmTrainer(new DdpmTrainerOptions
            {
                Network = UNetPresets.Tiny(3),
                MaxSteps = steps,
                BatchSize = batchSize,
                Seed = 1,
                Precision = TrainingPrecision.Float32,
                LogInterval = 1_000_000,
            }).Fit(dataset);
            Tensor sampled = new DdpmSampler(new DdpmSamplerOptions { Seed = 1 }).Sample(model, 4);
            float[] losses = [.. model.LossHistory];
            first ??= losses;
            firstImages ??= sampled;
            bool same = losses.SequenceEqual(first) && sampled.equal(firstImages).all().item<bool>();
            failures += same ? 0 : 1;
            Console.WriteLine($"run {run}: {steps} steps and 4 samples in {clock.Elapsed.TotalSeconds:F1} s, last loss {losses[^1]:F6}, {(same ? "the same losses and images as run 1" : "OTHER LOSSES OR IMAGES than run 1")}");
            if (!ReferenceEquals(sampled, firstImages))
            {
                sampled.Dispose();
            }
        }

        firstImages?.Dispose();

        Console.WriteLine(failures == 0 ? $"{runs} runs, no crash, the same losses and images" : $"{failures} of {runs} runs had other losses");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The garbage collector and a busy core, until disposed.</summary>
    private sealed class Stress : IDisposable
    {
        private volatile bool _stop;
        private readonly Thread[] _threads;

        public Stress()
        {
            _threads =
            [
                new Thread(() =>
                {
                    while (!_stop)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                    }
                }) { IsBackground = true, Name = "gc-stress collector" },
                new Thread(() =>
                {
                    double x = 0;
                    while (!_stop)
                    {
                        x = Math.Sqrt(x + 1);
                    }
                }) { IsBackground = true, Name = "gc-stress hog" },
            ];
            Array.ForEach(_threads, t => t.Start());
        }

        public void Dispose()
        {
            _stop = true;
            Array.ForEach(_threads, t => t.Join());
        }
    }
}
