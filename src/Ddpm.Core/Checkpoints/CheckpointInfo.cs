using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// What a checkpoint file holds, read from its descriptive sections without loading any weights:
/// the network, the image shape, the noise schedule and, for a training checkpoint, where the run was.
/// </summary>
/// <param name="Path">The file.</param>
/// <param name="Kind"><c>model</c> for a file written by <c>DdpmModel.Save</c>, <c>training</c> for a trainer's checkpoint (resumable).</param>
/// <param name="Library">The Ddpm.Core version that wrote it.</param>
/// <param name="Created">When it was written.</param>
/// <param name="Architecture">The network's architecture name, for example <c>unet</c> or <c>simple-unet</c>.</param>
/// <param name="Network">The network's configuration in words (for example <c>UNet(channels 1, base 24, ...)</c>), or the architecture name when the library does not know it.</param>
/// <param name="ParameterCount">The network's trainable parameters.</param>
/// <param name="ImageShape">The shape of one image the model generates.</param>
/// <param name="Prediction">What the network predicts.</param>
/// <param name="ClassNames">The class names of a class-conditional model; empty for an unconditional one.</param>
/// <param name="Schedule">The beta schedule in words.</param>
/// <param name="Timesteps">The number of diffusion steps T.</param>
/// <param name="TrainedSteps">The optimiser steps the network was trained for.</param>
/// <param name="HasEma">Whether the file holds EMA weights (which sampling uses by default).</param>
/// <param name="Training">The run's position and options for a training checkpoint; null for a saved model.</param>
/// <param name="Sections">The names of the file's sections.</param>
public sealed record CheckpointInfo(
    string Path,
    string Kind,
    string Library,
    DateTimeOffset Created,
    string Architecture,
    string Network,
    long ParameterCount,
    ImageShape ImageShape,
    PredictionType Prediction,
    IReadOnlyList<string> ClassNames,
    string Schedule,
    int Timesteps,
    long TrainedSteps,
    bool HasEma,
    TrainingCheckpointInfo? Training,
    IReadOnlyList<string> Sections)
{
    /// <summary>Reads the descriptive sections of a checkpoint, checking their checksums; no weights are loaded.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>What the file holds.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a Ddpm.Core checkpoint, or is truncated or corrupt.</exception>
    public static CheckpointInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using CheckpointReader reader = CheckpointReader.Open(path);
        MetaSection meta = reader.ReadJson<MetaSection>(CheckpointSections.Meta);
        if (meta.Format != ModelCheckpoint.Format)
        {
            throw new CheckpointFormatException(path, $"the file's format is '{meta.Format}', not '{ModelCheckpoint.Format}'.");
        }

        ModelSection model = reader.ReadJson<ModelSection>(CheckpointSections.Model);
        SchedulerSection scheduler = reader.ReadJson<SchedulerSection>(CheckpointSections.Scheduler);
        string network = NetworkConfigurations.FromJson(model.Architecture, model.Configuration, path)?.ToString() ?? model.Architecture;
        TrainingCheckpointInfo? training = null;
        if (reader.Has(CheckpointSections.Training))
        {
            TrainingSection section = reader.ReadJson<TrainingSection>(CheckpointSections.Training);
            training = new TrainingCheckpointInfo(section.Step, section.TotalSteps, section.Epoch, section.Seed, section.SmoothedLoss, section.Optimizer, section.Options.ToJsonString(), section.Precision);
        }

        return new CheckpointInfo(
            path,
            meta.Kind,
            meta.Library,
            meta.Created,
            model.Architecture,
            network,
            model.ParameterCount,
            new ImageShape(model.Channels, model.Height, model.Width),
            model.Prediction ?? PredictionType.Epsilon,
            model.ClassNames ?? [],
            scheduler.Description,
            scheduler.Timesteps,
            model.TrainedSteps,
            reader.Has(CheckpointSections.Ema),
            training,
            [.. reader.SectionNames]);
    }
}
