using Ddpm.Cli.Settings;
using Ddpm.Core.Checkpoints;

namespace Ddpm.Cli.Input;

/// <summary>Finds the model file a <c>--model</c> or checkpoint argument names.</summary>
internal static class ModelLocator
{
    /// <summary>
    /// A file is taken as it is; a folder means its model.ddpm (a train output folder) or else its
    /// newest checkpoint-*.ddpm that opens cleanly (<see cref="CheckpointFiles.FindNewest"/>), looking in the folder
    /// and then in its checkpoints/ subfolder.
    /// </summary>
    /// <exception cref="UsageException">Nothing is there.</exception>
    public static string Resolve(string path, string flag)
    {
        if (File.Exists(path))
        {
            return path;
        }

        if (!Directory.Exists(path))
        {
            throw new UsageException($"{flag} '{path}' does not exist; give a model file (model.ddpm, checkpoint-*.ddpm) or the folder ddpm train wrote.");
        }

        string model = Path.Combine(path, "model.ddpm");
        if (File.Exists(model))
        {
            return model;
        }

        foreach (string folder in new[] { path, Path.Combine(path, "checkpoints") })
        {
            if (CheckpointFiles.FindNewest(folder) is string newest)
            {
                return newest;
            }
        }

        throw new UsageException($"{flag} '{path}' holds no model.ddpm or readable checkpoint-*.ddpm.");
    }
}
