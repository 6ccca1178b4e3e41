using Microsoft.Extensions.Logging;

namespace Ddpm.Core.Checkpoints;

/// <summary>A folder of numbered checkpoints (<c>checkpoint-00001000.ddpm</c>): writes, rotation and finding the newest good one.</summary>
internal sealed class CheckpointStore
{
    private readonly int _keep;
    private readonly ILogger _logger;

    public CheckpointStore(string directory, int keep, ILogger logger)
    {
        Directory = Path.GetFullPath(directory);
        _keep = keep;
        _logger = logger;
        RemoveAbandonedWrites();
    }

    public string Directory { get; }

    /// <summary>
    /// Resolves a checkpoint to resume or load: a file as given, or, for a folder, its newest checkpoint
    /// that opens cleanly (an older one if the newest is damaged).
    /// </summary>
    public static string Resolve(string source, ILogger logger)
    {
        if (File.Exists(source))
        {
            return source;
        }

        if (!System.IO.Directory.Exists(source))
        {
            throw new FileNotFoundException($"The checkpoint '{source}' is neither a file nor a folder.", source);
        }

        return CheckpointFiles.FindNewest(source, logger)
            ?? throw new FileNotFoundException($"The folder '{source}' holds no readable checkpoint (checkpoint-NNNNNNNN.ddpm); pass a checkpoint file, or the folder a training run wrote its checkpoints to.", source);
    }

    /// <summary>Writes the checkpoint for <paramref name="step"/> atomically, then deletes all but the newest ones.</summary>
    /// <exception cref="CheckpointWriteException">The file system refused the write; the folder's earlier checkpoints are intact.</exception>
    public string Save(long step, Action<CheckpointWriter> write)
    {
        string path = Path.Combine(Directory, CheckpointFiles.FileName(step));
        try
        {
            using var writer = new CheckpointWriter(path);
            write(writer);
            writer.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The writer removed its temporary file; the checkpoints already in the folder are untouched.
            string? previous = CheckpointFiles.List(Directory).Select(c => c.Path).FirstOrDefault(p => p != path);
            throw new CheckpointWriteException(path, step, previous, e);
        }

        foreach ((_, string old) in CheckpointFiles.List(Directory).Skip(_keep))
        {
            try
            {
                File.Delete(old);
            }
            catch (IOException e)
            {
                _logger.LogWarning("Could not delete old checkpoint {Path}: {Reason}", old, e.Message);
            }
        }

        _logger.LogInformation("Saved checkpoint {Path}", path);
        return path;
    }

    /// <summary>Deletes temporary files left by writes that were killed before their rename (a run starting here owns the folder).</summary>
    private void RemoveAbandonedWrites()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }

        foreach (string temporary in System.IO.Directory.EnumerateFiles(Directory, ".checkpoint-*.tmp"))
        {
            try
            {
                File.Delete(temporary);
                _logger.LogInformation("Removed {Path}, left by an interrupted checkpoint write", temporary);
            }
            catch (IOException e)
            {
                _logger.LogWarning("Could not remove {Path}: {Reason}", temporary, e.Message);
            }
        }
    }
}
