namespace Ddpm.Core.Kernels;

/// <summary>The outcome of <see cref="CpuKernelCheck.Run(bool)"/>: every case, and how long the check took.</summary>
public sealed class CpuKernelCheckResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="cases">Every case checked.</param>
    /// <param name="duration">How long the check took.</param>
    /// <param name="bfloat16">Whether the bfloat16 cases were included.</param>
    public CpuKernelCheckResult(IReadOnlyList<CpuKernelCaseResult> cases, TimeSpan duration, bool bfloat16)
    {
        ArgumentNullException.ThrowIfNull(cases);
        Cases = cases;
        Duration = duration;
        BFloat16 = bfloat16;
    }

    /// <summary>Gets every case checked, in order.</summary>
    public IReadOnlyList<CpuKernelCaseResult> Cases { get; }

    /// <summary>Gets how long the check took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets whether the bfloat16 cases were included.</summary>
    public bool BFloat16 { get; }

    /// <summary>Gets whether every case passed.</summary>
    public bool Passed => Cases.Count > 0 && Cases.All(c => c.Passed);

    /// <summary>Gets the cases that failed.</summary>
    public IReadOnlyList<CpuKernelCaseResult> Failures => Cases.Where(c => !c.Passed).ToList();

    /// <summary>Returns a one-line summary: the count passed and, on failure, the first failures.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        IReadOnlyList<CpuKernelCaseResult> failures = Failures;
        string summary = $"{Cases.Count - failures.Count} of {Cases.Count} cases within tolerance in {Duration.TotalMilliseconds:F0} ms";
        return failures.Count == 0
            ? summary
            : $"{summary}; wrong: {string.Join("; ", failures.Take(3))}{(failures.Count > 3 ? $"; and {failures.Count - 3} more" : string.Empty)}";
    }
}
