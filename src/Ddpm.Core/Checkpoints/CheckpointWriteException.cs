namespace Ddpm.Core.Checkpoints;

/// <summary>
/// A training checkpoint could not be written: the disk is full, the folder is read-only or gone.
/// Checkpoints are written to a temporary file and renamed into place, so the failed write leaves
/// nothing behind and every earlier checkpoint is intact; the message names the newest one to resume from.
/// </summary>
public sealed class CheckpointWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file that could not be written.</param>
    /// <param name="step">The training step it was for.</param>
    /// <param name="previousCheckpoint">The newest checkpoint written before it, or null when there is none.</param>
    /// <param name="inner">The error the file system reported.</param>
    public CheckpointWriteException(string path, long step, string? previousCheckpoint, Exception inner)
        : base(
            $"Could not write the checkpoint for step {step}, '{path}': {inner.Message} "
            + (previousCheckpoint is null
                ? "No earlier checkpoint of this run exists. "
                : $"The previous checkpoint, '{previousCheckpoint}', is intact: resume from it with Fit(dataset, resumeFrom: ...) (ddpm train --resume). ")
            + "Free disk space or set CheckpointDirectory to a writable folder.",
            inner)
    {
        Path = path;
        Step = step;
        PreviousCheckpoint = previousCheckpoint;
    }

    /// <summary>Gets the checkpoint file that could not be written.</summary>
    public string Path { get; }

    /// <summary>Gets the training step the checkpoint was for.</summary>
    public long Step { get; }

    /// <summary>Gets the newest checkpoint written before the failure, or null when there is none.</summary>
    public string? PreviousCheckpoint { get; }
}
