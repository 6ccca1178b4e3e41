namespace Ddpm.Core.Kernels;

/// <summary>The CPU kernel path in effect for this process, why it was chosen, and the check it passed.</summary>
public sealed class CpuKernelSelection
{
    /// <summary>Creates a selection.</summary>
    /// <param name="path">The path in effect.</param>
    /// <param name="reason">Why this path was chosen, in a sentence.</param>
    /// <param name="attempts">Every path tried, in order; the last is the one chosen.</param>
    /// <param name="cpu">The CPU, e.g. <c>AuthenticAMD family 26 model 2</c>.</param>
    /// <param name="cacheTopologyHidden">Whether the CPU reads its cache-topology CPUID leaf as zeros.</param>
    public CpuKernelSelection(CpuKernelPath path, string reason, IReadOnlyList<CpuKernelAttempt> attempts, string cpu, bool cacheTopologyHidden)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (attempts.Count == 0 || attempts[^1].Path != path || attempts[^1].Check is null)
        {
            throw new ArgumentException("The last attempt must be the chosen path, with its check.", nameof(attempts));
        }

        Path = path;
        Reason = reason;
        Attempts = attempts;
        Cpu = cpu;
        CacheTopologyHidden = cacheTopologyHidden;
    }

    /// <summary>Gets the path in effect.</summary>
    public CpuKernelPath Path { get; }

    /// <summary>Gets why the path was chosen.</summary>
    public string Reason { get; }

    /// <summary>Gets every path tried, in order; the last is <see cref="Path"/>.</summary>
    public IReadOnlyList<CpuKernelAttempt> Attempts { get; }

    /// <summary>Gets the check the chosen path passed (the latest one, with bfloat16 cases once bfloat16 training asked for them).</summary>
    public CpuKernelCheckResult Check => Attempts[^1].Check!;

    /// <summary>Gets the CPU, e.g. <c>AuthenticAMD family 26 model 2</c>.</summary>
    public string Cpu { get; }

    /// <summary>Gets whether the CPU reads its cache-topology CPUID leaf as zeros, the condition under which LibTorch 2.10's oneDNN miscomputes.</summary>
    public bool CacheTopologyHidden { get; }

    /// <summary>Gets whether the bfloat16 kernels were checked too.</summary>
    public bool BFloat16Checked => Check.BFloat16;

    /// <summary>Returns the path, its check and the reason in one line.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{CpuKernels.Describe(Path)} ({Check}): {Reason}";

    /// <summary>The same selection with the chosen path's check replaced (after the bfloat16 cases were added).</summary>
    internal CpuKernelSelection WithCheck(CpuKernelCheckResult check) =>
        new(Path, Reason, [.. Attempts.Take(Attempts.Count - 1), Attempts[^1] with { Check = check }], Cpu, CacheTopologyHidden);
}
