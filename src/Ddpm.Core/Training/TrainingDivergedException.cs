namespace Ddpm.Core.Training;

/// <summary>
/// The training loss became NaN or infinite. It is checked before the gradients are applied, so the
/// weights are those of the last good step, and no checkpoint is written after it.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The optimiser step (1-based) whose loss was not finite.</param>
    /// <param name="loss">The loss value.</param>
    /// <param name="learningRate">The learning rate at that step.</param>
    /// <param name="lastCheckpointPath">The newest checkpoint written before, or null.</param>
    public TrainingDivergedException(long step, double loss, double learningRate, string? lastCheckpointPath)
        : base(
            $"The training loss became {loss} at step {step}. Lower the learning rate (it was {learningRate:G4}), set MaxGradNorm (for example 1.0) or add warm-up steps, and check the data for NaN or infinite values."
            + (lastCheckpointPath is null ? string.Empty : $" The last good checkpoint is '{lastCheckpointPath}'."))
    {
        Step = step;
        Loss = loss;
        LastCheckpointPath = lastCheckpointPath;
    }

    /// <summary>Gets the step whose loss was not finite.</summary>
    public long Step { get; }

    /// <summary>Gets the non-finite loss.</summary>
    public double Loss { get; }

    /// <summary>Gets the newest checkpoint written before the divergence, or null.</summary>
    public string? LastCheckpointPath { get; }
}
