using Ddpm.Core.Kernels;

namespace Ddpm.Core.Training;

/// <summary>
/// The training loss became NaN or infinite. It is checked before the gradients are applied, so the
/// weights are those of the last good step, and no checkpoint is written after it.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>The steps of a fresh run within which the message also says how the CPU kernel check went: wrong kernels make a new model diverge at once.</summary>
    public const int EarlySteps = 10;

    /// <summary>Creates the exception.</summary>
    /// <param name="step">The optimiser step (1-based) whose loss was not finite.</param>
    /// <param name="loss">The loss value.</param>
    /// <param name="learningRate">The learning rate at that step.</param>
    /// <param name="lastCheckpointPath">The newest checkpoint written before, or null.</param>
    public TrainingDivergedException(long step, double loss, double learningRate, string? lastCheckpointPath)
        : this(step, loss, learningRate, lastCheckpointPath, cpuKernels: null, freshRun: false)
    {
    }

    /// <summary>Creates the exception, saying for a fresh run's first <see cref="EarlySteps"/> steps whether the CPU kernel check passed.</summary>
    /// <param name="step">The optimiser step (1-based) whose loss was not finite.</param>
    /// <param name="loss">The loss value.</param>
    /// <param name="learningRate">The learning rate at that step.</param>
    /// <param name="lastCheckpointPath">The newest checkpoint written before, or null.</param>
    /// <param name="cpuKernels">The CPU kernel path the run used and the check it passed; null when training on CUDA.</param>
    /// <param name="freshRun">Whether the run started from newly initialised weights (not resumed, not fine-tuned).</param>
    public TrainingDivergedException(long step, double loss, double learningRate, string? lastCheckpointPath, CpuKernelSelection? cpuKernels, bool freshRun)
        : base(
            $"The training loss became {loss} at step {step}. Lower the learning rate (it was {learningRate:G4}), set MaxGradNorm (for example 1.0) or add warm-up steps, and check the data for NaN or infinite values."
            + KernelNote(step, cpuKernels, freshRun)
            + (lastCheckpointPath is null ? string.Empty : $" The last good checkpoint is '{lastCheckpointPath}'."))
    {
        Step = step;
        Loss = loss;
        LastCheckpointPath = lastCheckpointPath;
        CpuKernels = cpuKernels;
    }

    /// <summary>Gets the step whose loss was not finite.</summary>
    public long Step { get; }

    /// <summary>Gets the non-finite loss.</summary>
    public double Loss { get; }

    /// <summary>Gets the newest checkpoint written before the divergence, or null.</summary>
    public string? LastCheckpointPath { get; }

    /// <summary>Gets the CPU kernel path the run used and the check it passed; null on CUDA or when not given.</summary>
    public CpuKernelSelection? CpuKernels { get; }

    private static string KernelNote(long step, CpuKernelSelection? kernels, bool freshRun) =>
        !freshRun || step > EarlySteps
            ? string.Empty
            : kernels is null
                ? " The CPU kernel check did not run (the run is not on the CPU), so wrong GPU kernels remain possible: compare with a short CPU run."
                : $" The CPU kernel check passed before training ({Kernels.CpuKernels.Describe(kernels.Path)}: {kernels.Check}), so wrong CPU kernels are an unlikely cause.";
}
