using System.Globalization;

namespace Ddpm.Benchmarks;

/// <summary>
/// What one speed measurement runs: the notebook's SimpleUNet (or the library's default UNet, <c>Network = "unet"</c>) at
/// one size and batch, on one device, in float32 or bfloat16 (<c>Precision = "bf16"</c>: the library's
/// <see cref="Ddpm.Core.Training.TrainingPrecision.BFloat16"/> against PyTorch's autocast with channels_last);
/// <c>Arenas</c> limits glibc's malloc arenas in every contender (<see cref="Ddpm.Cli.NativeAllocator.LimitArenas"/>,
/// ctypes <c>mallopt</c> in Python), 0 keeping glibc's default.
/// </summary>
internal sealed record SpeedSettings(int BatchSize, int ImageSize, int Channels, int Steps, int Warmup, int Threads, int Timesteps, string Device, int Arenas, string Network, string Precision)
{
    /// <summary>Whether the network is the library's default UNet rather than the notebook's SimpleUNet.</summary>
    public bool IsUNet => Network == "unet";

    /// <summary>Whether the step computes in bfloat16.</summary>
    public bool IsBFloat16 => Precision == "bf16";

    /// <summary>The network's configuration: the notebook's SimpleUNet or the default UNet, with the settings' channels.</summary>
    public Ddpm.Core.Models.INetworkConfiguration Configuration => IsUNet
        ? new Ddpm.Core.Models.UNetConfiguration { ImageChannels = Channels }
        : new Ddpm.Core.Models.SimpleUNetConfiguration { ImageChannels = Channels };

    /// <summary>Reads the shared options of <c>vs-pytorch</c> and <c>speed-child</c>.</summary>
    public static SpeedSettings From(Arguments options) => new(
        options.Int("batch-size", 16, 1),
        options.Int("image-size", 64, 16),
        options.Int("channels", 3, 1),
        options.Int("steps", 5, 1),
        options.Int("warmup", 2, 0),
        options.Int("threads", Environment.ProcessorCount, 1),
        options.Int("timesteps", 300, 2),
        options.String("device") ?? "cpu",
        options.Int("arenas", 0, 0),
        Choice(options.String("network") ?? "simple-unet", "--network", "simple-unet", "unet"),
        Choice(options.String("precision") ?? "fp32", "--precision", "fp32", "bf16"));

    private static string Choice(string value, string name, params string[] allowed) =>
        allowed.Contains(value) ? value : throw new ArgumentException($"{name} is '{value}'; use {string.Join(" or ", allowed)}.");

    /// <summary>The same settings as command-line options, for a child process (ours or the Python reference).</summary>
    public IEnumerable<string> ToArguments()
    {
        string I(int value) => value.ToString(CultureInfo.InvariantCulture);
        return
        [
            "--batch-size", I(BatchSize), "--image-size", I(ImageSize), "--channels", I(Channels), "--steps", I(Steps),
            "--warmup", I(Warmup), "--threads", I(Threads), "--timesteps", I(Timesteps), "--device", Device, "--arenas", I(Arenas),
            "--network", Network, "--precision", Precision,
        ];
    }
}
