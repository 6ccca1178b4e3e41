namespace Ddpm.Core.Training;

/// <summary>
/// Training stopped because its cancellation token was cancelled. The trainer finishes the step in
/// progress, writes a checkpoint (when <see cref="DdpmTrainerOptions.CheckpointDirectory"/> is set),
/// and then throws this exception; resume with <c>Fit(dataset, resumeFrom: ...)</c>.
/// </summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="completedSteps">The optimiser steps completed.</param>
    /// <param name="checkpointPath">The checkpoint written on cancellation, or null.</param>
    /// <param name="token">The token that was cancelled.</param>
    public TrainingCanceledException(long completedSteps, string? checkpointPath, CancellationToken token)
        : base(
            $"Training was cancelled after {completedSteps} step(s){(checkpointPath is null ? " (no checkpoint directory was set, so nothing was saved)" : $"; the run was saved to '{checkpointPath}' and can be resumed from it")}.",
            token)
    {
        CompletedSteps = completedSteps;
        CheckpointPath = checkpointPath;
    }

    /// <summary>Gets the number of optimiser steps completed before training stopped.</summary>
    public long CompletedSteps { get; }

    /// <summary>Gets the checkpoint written when training stopped, or null when checkpoints are off.</summary>
    public string? CheckpointPath { get; }
}
