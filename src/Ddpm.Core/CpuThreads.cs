using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>
/// Sets libtorch's intra-op CPU thread count (process-wide) for the length of a training run or a
/// sampling call, and puts the previous count back on dispose. A scope that asks for no particular
/// count inside another (the preview sampling of a training run) keeps the enclosing scope's count.
/// </summary>
internal sealed class CpuThreads : IDisposable
{
    /// <summary>The largest thread count the options accept.</summary>
    public const int MaxThreads = 1024;

    [ThreadStatic]
    private static int? t_current;

    private readonly int _previous;
    private readonly int? _enclosing;

    private CpuThreads(int threads)
    {
        _enclosing = t_current;
        t_current = threads;
        _previous = get_num_threads();
        if (threads != _previous)
        {
            set_num_threads(threads);
        }
    }

    /// <summary>Uses <paramref name="threads"/> threads until disposed; when null, the enclosing scope's count, or every logical core outside any scope.</summary>
    public static CpuThreads Use(int? threads) => new(threads ?? t_current ?? Environment.ProcessorCount);

    /// <summary>Restores the thread count found when this scope began.</summary>
    public void Dispose()
    {
        t_current = _enclosing;
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
