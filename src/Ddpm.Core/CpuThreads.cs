using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>
/// Sets libtorch's intra-op CPU thread count (process-wide) for the length of a training run or a
/// sampling call, and puts the previous count back on dispose.
/// </summary>
internal sealed class CpuThreads : IDisposable
{
    /// <summary>The largest thread count the options accept.</summary>
    public const int MaxThreads = 1024;

    private readonly int _previous;

    private CpuThreads(int threads)
    {
        _previous = get_num_threads();
        if (threads != _previous)
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Uses <paramref name="threads"/> threads, or every logical core when null, until disposed.</summary>
    public static CpuThreads Use(int? threads) => new(threads ?? Environment.ProcessorCount);

    /// <summary>Restores the thread count found when this scope began.</summary>
    public void Dispose()
    {
        if (get_num_threads() != _previous)
        {
            set_num_threads(_previous);
        }
    }

    /// <summary>The validation message for a thread-count option, or null when the value is valid.</summary>
    public static string? Check(string name, int? threads) =>
        threads is < 1 or > MaxThreads
            ? $"{name} is {threads}; it must be null (all {Environment.ProcessorCount} logical cores) or lie in [1, {MaxThreads}]."
            : null;
}
