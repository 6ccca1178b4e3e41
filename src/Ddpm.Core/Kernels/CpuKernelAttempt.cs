namespace Ddpm.Core.Kernels;

/// <summary>One path <see cref="CpuKernels.Ensure"/> tried: its check, or why it could not be used.</summary>
/// <param name="Path">The path tried.</param>
/// <param name="Check">The check's result on that path; null when the path could not be put into effect.</param>
/// <param name="Unusable">Why the path could not be put into effect in this process; null when it was checked.</param>
public sealed record CpuKernelAttempt(CpuKernelPath Path, CpuKernelCheckResult? Check, string? Unusable)
{
    /// <summary>Gets whether the path was checked and passed.</summary>
    public bool Passed => Check?.Passed == true;

    /// <summary>Returns the path and its outcome, e.g. <c>onednn: 40 of 68 cases within tolerance ...</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{CpuKernels.Name(Path)}: {(Check is null ? "not usable: " + Unusable : Check.ToString())}";
}
