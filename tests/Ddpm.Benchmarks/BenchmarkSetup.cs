using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>The small model and synthetic data every benchmark uses.</summary>
internal static class BenchmarkSetup
{
    public const int ImageSize = 16;

    /// <summary>A 1-channel SimpleUNet with widths 8, 16, 32: small enough for thousands of CPU steps.</summary>
    public static SimpleUNetConfiguration Network() => new() { ImageChannels = 1, DownChannels = [8, 16, 32], TimeEmbeddingDim = 16 };

    /// <summary>The trainer options shared by the soak and the fault child; the caller adds checkpoint settings.</summary>
    public static DdpmTrainerOptions TrainerOptions(int steps) => new()
    {
        Network = Network(),
        MaxSteps = steps,
        BatchSize = 16,
        Timesteps = 100,
        Seed = 1,
        LogInterval = 1_000_000,
    };

    /// <summary>
    /// <paramref name="count"/> 16x16 grayscale images in [-1, 1]: a black background (-1) with one
    /// square of random position, side (3 to 8 pixels) and brightness (-0.5 to 1), drawn with a seeded
    /// torch generator so every run trains on the same images.
    /// </summary>
    public static InMemoryImageDataset Squares(int count = 512, ulong seed = 7)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        long[] column = [count, 1, 1, 1];
        Tensor top = randint(0, ImageSize - 3, column, generator: generator);
        Tensor left = randint(0, ImageSize - 3, column, generator: generator);
        Tensor side = randint(3, 9, column, generator: generator);
        Tensor brightness = (rand(column, generator: generator) * 1.5) - 0.5;
        Tensor rows = arange(ImageSize).view(1, 1, ImageSize, 1);
        Tensor columns = arange(ImageSize).view(1, 1, 1, ImageSize);
        Tensor inside = rows.ge(top).logical_and(rows.lt(top + side)).logical_and(columns.ge(left)).logical_and(columns.lt(left + side));
        Tensor images = where(inside, brightness.expand(count, 1, ImageSize, ImageSize), full(1, 1, 1, 1, -1f));
        return new InMemoryImageDataset(images);
    }
}

/// <summary>Reads the process's memory: resident set size and managed heap.</summary>
internal sealed class MemoryProbe : IDisposable
{
    private const double MiB = 1024.0 * 1024.0;
    private readonly System.Diagnostics.Process _self = System.Diagnostics.Process.GetCurrentProcess();

    /// <summary>The process's peak resident memory in MiB: VmHWM on Linux, the peak working set elsewhere.</summary>
    public static double PeakMiB()
    {
        const string Status = "/proc/self/status";
        string? line = File.Exists(Status) ? File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        long bytes = line is null
            ? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64
            : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return bytes / MiB;
    }

    /// <summary>Resident set size in MiB (Process.WorkingSet64, read afresh).</summary>
    public double RssMiB()
    {
        _self.Refresh();
        return _self.WorkingSet64 / MiB;
    }

    /// <summary>Bytes the GC considers allocated, in MiB (no collection forced here; <see cref="SoakReport.Take"/> collects first).</summary>
    public static double ManagedMiB() => GC.GetTotalMemory(forceFullCollection: false) / MiB;

    public void Dispose() => _self.Dispose();
}

/// <summary>Medians and step times, shared by the speed benchmarks.</summary>
internal static class Timing
{
    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The seconds between consecutive elapsed times (the first is the start), without the first <paramref name="warmup"/> steps.</summary>
    public static List<double> StepSeconds(IReadOnlyList<TimeSpan> elapsed, int warmup) =>
        elapsed.Zip(elapsed.Skip(1), (a, b) => (b - a).TotalSeconds).Skip(warmup).ToList();
}

/// <summary>Starts this benchmark program again as a child process.</summary>
internal static class ChildProcess
{
    /// <summary>This program's start information; under the dotnet host (<c>dotnet ddpm-benchmarks.dll</c>) the assembly comes first. The caller adds the arguments.</summary>
    public static System.Diagnostics.ProcessStartInfo Self()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        var info = new System.Diagnostics.ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        return info;
    }
}
