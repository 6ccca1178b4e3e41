namespace Ddpm.Core.Kernels;

/// <summary>
/// No CPU kernel path that could be used computed correctly, or the path forced by an option or by
/// <c>DDPM_CPU_KERNELS</c> failed its check or could not be used: training or sampling on the CPU
/// would give wrong numbers, so it does not start.
/// </summary>
public sealed class CpuKernelCheckException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="attempts">Every path tried.</param>
    public CpuKernelCheckException(string message, IReadOnlyList<CpuKernelAttempt> attempts)
        : base(message)
    {
        Attempts = attempts;
    }

    /// <summary>Gets every path tried, with its check or why it could not be used.</summary>
    public IReadOnlyList<CpuKernelAttempt> Attempts { get; }
}
