namespace Ddpm.Core.Checkpoints;

/// <summary>
/// A checkpoint file is not one, is truncated or corrupt, has an unsupported version, or does not
/// fit the network it is loaded into. The message names the file and what is wrong.
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="message">What is wrong, and how to fix it where that is known.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointFormatException(string path, string message, Exception? inner = null)
        : base($"Checkpoint '{path}': {message}", inner)
    {
        Path = path;
    }

    /// <summary>Gets the checkpoint file.</summary>
    public string Path { get; }
}
