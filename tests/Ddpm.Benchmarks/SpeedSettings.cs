using System.Globalization;

namespace Ddpm.Benchmarks;

/// <summary>
/// What one speed measurement runs: the notebook's SimpleUNet at one size and batch, on one device;
/// <c>Arenas</c> limits glibc's malloc arenas in every contender (<see cref="Ddpm.Cli.NativeAllocator.LimitArenas"/>,
/// ctypes <c>mallopt</c> in Python), 0 keeping glibc's default.
/// </summary>
internal sealed record SpeedSettings(int BatchSize, int ImageSize, int Channels, int Steps, int Warmup, int Threads, int Timesteps, string Device, int Arenas)
{
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
        options.Int("arenas", 0, 0));

    /// <summary>The same settings as command-line options, for a child process (ours or the Python reference).</summary>
    public IEnumerable<string> ToArguments()
    {
        string I(int value) => value.ToString(CultureInfo.InvariantCulture);
        return
        [
            "--batch-size", I(BatchSize), "--image-size", I(ImageSize), "--channels", I(Channels), "--steps", I(Steps),
            "--warmup", I(Warmup), "--threads", I(Threads), "--timesteps", I(Timesteps), "--device", Device, "--arenas", I(Arenas),
        ];
    }
}
