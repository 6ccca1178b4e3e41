using System.Globalization;

namespace Ddpm.Cli;

/// <summary>The arguments of <c>ddpm train</c>, parsed and checked.</summary>
internal sealed record TrainArguments
{
    public string? Data { get; init; }

    public string Output { get; init; } = "ddpm-output";

    public int Steps { get; init; } = 1000;

    public int BatchSize { get; init; } = 32;

    public int ImageSize { get; init; } = 32;

    public string Device { get; init; } = "cpu";

    public int Seed { get; init; } = 0;

    public int SampleCount { get; init; } = 36;

    public NetworkChoice Model { get; init; } = NetworkChoice.UNet;

    public string Preset { get; init; } = "tiny";

    public const string Usage = """
        Usage: ddpm train [options]

        Trains a small DDPM (T = 300 linear betas, L1 loss, Adam 1e-3) and writes
        samples.png, forward.png, denoising.png and checkpoints/ (Ctrl+C saves one).

        Options:
          --model NAME       unet (default: the library's UNet, sampled with DDIM in 50 steps)
                             or simple-unet (the notebook's network, narrowed, sampled like
                             the notebook: 300 DDPM steps, batch statistics)
          --preset NAME      UNet size: tiny (default; 0.18M parameters, fast on a CPU),
                             small (the library's default network), medium, base or large
                             (docs/models.md lists their sizes)
          --data PATH        a folder of images (searched recursively) or an IDX file (.gz or not);
                             default: the bundled Fashion-MNIST test split (10,000 images)
          --out DIR          output folder (default: ddpm-output)
          --steps N          optimiser steps (default: 1000)
          --batch-size N     images per step (default: 32)
          --image-size N     square size in pixels, a multiple of 8 (default: 32)
          --device NAME      cpu, cuda or cuda:N (default: cpu)
          --seed N           random seed (default: 0)
          --samples N        images in samples.png (default: 36)
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> naming the bad argument.</summary>
    public static TrainArguments Parse(IReadOnlyList<string> args)
    {
        var result = new TrainArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            result = name switch
            {
                "--data" => result with { Data = Value() },
                "--model" => result with { Model = Network(Value()) },
                "--preset" => result with { Preset = ParsePreset(Value()) },
                "--out" => result with { Output = Value() },
                "--steps" => result with { Steps = Int(name, Value(), 1, 10_000_000) },
                "--batch-size" => result with { BatchSize = Int(name, Value(), 1, 65_536) },
                "--image-size" => result with { ImageSize = Int(name, Value(), 8, 1024) },
                "--device" => result with { Device = Value() },
                "--seed" => result with { Seed = Int(name, Value(), 0, int.MaxValue) },
                "--samples" => result with { SampleCount = Int(name, Value(), 1, 4096) },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        if (result.ImageSize % 8 != 0)
        {
            throw new ArgumentException($"--image-size is {result.ImageSize}; it must be a multiple of 8 (the network halves the size three times).");
        }

        return result;
    }

    private static NetworkChoice Network(string text) => text switch
    {
        "unet" => NetworkChoice.UNet,
        "simple-unet" => NetworkChoice.SimpleUNet,
        _ => throw new ArgumentException($"--model is '{text}'; use unet or simple-unet."),
    };

    private static string ParsePreset(string text) => text is "tiny" or "small" or "medium" or "base" or "large"
        ? text
        : throw new ArgumentException($"--preset is '{text}'; use tiny, small, medium, base or large.");

    private static int Int(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new ArgumentException($"{name} is '{text}'; it must be a whole number in [{min}, {max}].");
        }

        return value;
    }
}
