using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// The numbered checkpoints a trainer writes into its <c>CheckpointDirectory</c>
/// (<c>checkpoint-00001000.ddpm</c>): listing them and finding the newest one that opens cleanly, as
/// resuming does. Applications use it to find what to sample from or resume.
/// </summary>
public static partial class CheckpointFiles
{
    /// <summary>The file name of the checkpoint written after <paramref name="step"/> optimiser steps.</summary>
    /// <param name="step">The step; at least 0.</param>
    /// <returns>For example <c>checkpoint-00001000.ddpm</c>.</returns>
    public static string FileName(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return $"checkpoint-{step.ToString("D8", CultureInfo.InvariantCulture)}.ddpm";
    }

    /// <summary>Lists the numbered checkpoints in a folder, newest step first, without opening them.</summary>
    /// <param name="folder">The folder; one that does not exist holds none.</param>
    /// <returns>Each checkpoint's step and path; empty when there are none.</returns>
    public static IReadOnlyList<(long Step, string Path)> List(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(folder, "checkpoint-*.ddpm")
            .Select(p => (Match: Numbered().Match(Path.GetFileName(p)), Path: p))
            .Where(m => m.Match.Success)
            .Select(m => (long.Parse(m.Match.Groups[1].Value, CultureInfo.InvariantCulture), m.Path))
            .OrderByDescending(c => c.Item1)
            .ToList();
    }

    /// <summary>
    /// Finds the newest checkpoint in a folder whose container opens cleanly, skipping (and logging) damaged
    /// ones, as <c>DdpmTrainerOptions.ResumeFrom</c> does for a folder.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="logger">Where a skipped checkpoint is reported; null reports nowhere.</param>
    /// <returns>The checkpoint's path, or null when the folder holds no readable checkpoint.</returns>
    public static string? FindNewest(string folder, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        foreach ((_, string path) in List(folder))
        {
            try
            {
                using CheckpointReader reader = CheckpointReader.Open(path);
                return path;
            }
            catch (CheckpointFormatException e)
            {
                logger.LogWarning("Skipping damaged checkpoint {Path}: {Reason}", path, e.Message);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^checkpoint-(\d{1,18})\.ddpm$")]
    private static partial Regex Numbered();
}
