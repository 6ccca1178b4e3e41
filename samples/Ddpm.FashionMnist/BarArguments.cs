using System.Globalization;
using Ddpm.Core.Sampling;

namespace Ddpm.FashionMnist;

/// <summary>The arguments of <c>fashion-mnist-bar</c>, parsed and checked.</summary>
internal sealed record BarArguments
{
    public const string Usage = """
        Usage: fashion-mnist-bar [options]

        The Fashion-MNIST quality bar (docs/evaluation.md): trains the library's default model on the
        60,000 training images (28x28 padded to 32x32, 1 channel), draws samples with the library's
        default sampler for the model, writes each as a PNG and scores them with SampleQualityEvaluator.

        Options:
          --data DIR           folder with train-images-idx3-ubyte.gz
                               (default: /usr/share/datasets/fashion-mnist, from
                               apt-get install dataset-fashion-mnist)
          --out DIR            output folder (default: fashion-mnist-bar)
          --epochs N           passes over the training images (default: 5)
          --max-steps N        stop after N optimiser steps instead (default: none; for a quick try)
          --batch-size N       images per step (default: 64)
          --samples N          images to draw and write (default: 5000)
          --sampler NAME       ddpm, ddim, dpm++2m, euler, euler-a or heun
                               (default: the library's default for the model, SamplingDefaults)
          --sampling-steps N   sampling steps (default: the sampler's own, e.g. 50 for ddim)
          --device NAME        cpu, cuda or cuda:N (default: cpu)
          --seed N             random seed for training and sampling (default: 0)
          --resume             continue from the newest checkpoint in DIR/checkpoints

        Writes DIR/model.ddpm, DIR/samples/NNNNN.png, DIR/grid.png (the first 100), DIR/loss.csv and
        DIR/report.md.
        Exit codes: 0 success, 1 failure, 2 bad arguments, 130 cancelled (Ctrl+C saves a checkpoint).
        """;

    public string Data { get; init; } = "/usr/share/datasets/fashion-mnist";

    public string Output { get; init; } = "fashion-mnist-bar";

    public int Epochs { get; init; } = 5;

    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 64;

    public int Samples { get; init; } = 5000;

    /// <summary>The sampler; null follows <c>SamplingDefaults.Method</c> for the model.</summary>
    public SamplingMethod? Sampler { get; init; }

    /// <summary>The sampling steps; null takes the sampler's own default.</summary>
    public int? SamplingSteps { get; init; }

    public string Device { get; init; } = "cpu";

    public int Seed { get; init; }

    public bool Resume { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> naming the bad argument.</summary>
    public static BarArguments Parse(IReadOnlyList<string> args)
    {
        var result = new BarArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            result = name switch
            {
                "--data" => result with { Data = Value() },
                "--out" => result with { Output = Value() },
                "--epochs" => result with { Epochs = Integer(name, Value(), 1, 1000) },
                "--max-steps" => result with { MaxSteps = Integer(name, Value(), 1, int.MaxValue) },
                "--batch-size" => result with { BatchSize = Integer(name, Value(), 1, 4096) },
                "--samples" => result with { Samples = Integer(name, Value(), 2, 1_000_000) },
                "--sampler" => result with { Sampler = ParseSampler(Value()) },
                "--sampling-steps" => result with { SamplingSteps = Integer(name, Value(), 1, 1000) },
                "--device" => result with { Device = Value() },
                "--seed" => result with { Seed = Integer(name, Value(), 0, int.MaxValue) },
                "--resume" => result with { Resume = true },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        return result;
    }

    /// <summary>The built-in method named <paramref name="text"/> (<see cref="SamplingMethods.ByName"/>).</summary>
    private static SamplingMethod ParseSampler(string text) =>
        SamplingMethods.ByName.TryGetValue(text, out SamplingMethod method)
            ? method
            : throw new ArgumentException($"--sampler is '{text}'; use one of {string.Join(", ", SamplingMethods.ByName.Keys)}.");

    private static int Integer(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} is '{text}'; give a whole number from {min} to {max}.");
}
