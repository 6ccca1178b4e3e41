using System.Text.Json;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// A training run in a checkpoint: the model (its sections written by <see cref="ModelCheckpoint"/>),
/// where the run stands, the optimiser's moments and the random state. The trainer hands over plain
/// values and tensors and names no section; every section name stays in this folder.
/// </summary>
internal static class TrainingCheckpoint
{
    /// <summary>Writes everything needed to continue a run.</summary>
    /// <param name="writer">The checkpoint being written.</param>
    /// <param name="model">The model being trained, as plain values.</param>
    /// <param name="run">Where the run stands (step, epoch, seed, smoothed loss, optimiser, options).</param>
    /// <param name="optimizer">Each parameter's name and Adam state, in parameter order.</param>
    /// <param name="generator">The run's generator (timesteps, noise, label dropout).</param>
    public static void Write(CheckpointWriter writer, ModelContents model, TrainingSection run, IReadOnlyList<OptimizerMoments> optimizer, Generator generator)
    {
        ModelCheckpoint.Write(writer, model, "training");
        writer.AddJson(CheckpointSections.Training, JsonSerializer.SerializeToNode(run, CheckpointJson.Options)!);

        using var scope = NewDisposeScope();
        var moments = new List<KeyValuePair<string, Tensor>>();
        foreach (OptimizerMoments parameter in optimizer)
        {
            moments.Add(new($"{parameter.Name}.exp_avg", parameter.ExpAvg));
            moments.Add(new($"{parameter.Name}.exp_avg_sq", parameter.ExpAvgSq));
            moments.Add(new($"{parameter.Name}.step", tensor(parameter.Step)));
        }

        writer.AddTensors(CheckpointSections.Optimizer, moments);
        writer.AddTensors(CheckpointSections.Random, [new("generator", generator.get_state()), new("torch.cpu", get_rng_state())]);
    }

    /// <summary>Reads one trainer option as the run recorded it, by its JSON name (e.g. <c>precision</c>); null where the checkpoint holds no such text value.</summary>
    public static string? ReadOption(CheckpointReader reader, string name)
    {
        TrainingSection run = reader.ReadJson<TrainingSection>(CheckpointSections.Training);
        return run.Options is System.Text.Json.Nodes.JsonObject options && options[name] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out string? text) ? text : null;
    }

    /// <summary>
    /// Restores a run written by <see cref="Write"/> into networks that already match the checkpoint's
    /// configuration: weights (and EMA), the optimiser's moments (copied into <paramref name="optimizer"/>'s
    /// tensors; the returned steps replace its step counts), and the generator's and libtorch's random state.
    /// </summary>
    /// <returns>Where the run stood, each parameter's Adam step count in <paramref name="optimizer"/>'s order, and the loss history.</returns>
    /// <exception cref="CheckpointFormatException">A tensor is missing or mis-shaped.</exception>
    public static (TrainingSection Run, long[] Steps, float[] Losses) Restore(CheckpointReader reader, nn.Module network, nn.Module? emaNetwork, IReadOnlyList<OptimizerMoments> optimizer, Generator generator)
    {
        TrainingSection run = reader.ReadJson<TrainingSection>(CheckpointSections.Training);
        ModelCheckpoint.LoadInto(reader, network, CheckpointSections.Network);
        if (emaNetwork is not null)
        {
            ModelCheckpoint.LoadInto(reader, emaNetwork, reader.Has(CheckpointSections.Ema) ? CheckpointSections.Ema : CheckpointSections.Network);
        }

        var steps = new long[optimizer.Count];
        Dictionary<string, Tensor> moments = reader.ReadTensors(CheckpointSections.Optimizer);
        Dictionary<string, Tensor> random = reader.ReadTensors(CheckpointSections.Random);
        try
        {
            using var noGrad = no_grad();
            for (int i = 0; i < optimizer.Count; i++)
            {
                OptimizerMoments parameter = optimizer[i];
                parameter.ExpAvg.copy_(Required(moments, $"{parameter.Name}.exp_avg", parameter.ExpAvg, reader.Path));
                parameter.ExpAvgSq.copy_(Required(moments, $"{parameter.Name}.exp_avg_sq", parameter.ExpAvgSq, reader.Path));
                steps[i] = Required(moments, $"{parameter.Name}.step", null, reader.Path).item<long>();
            }

            generator.set_state(Required(random, "generator", null, reader.Path));
            if (random.TryGetValue("torch.cpu", out Tensor? cpuState))
            {
                set_rng_state(cpuState);
            }
        }
        finally
        {
            foreach (Tensor t in moments.Values.Concat(random.Values))
            {
                t.Dispose();
            }
        }

        return (run, steps, [.. ModelCheckpoint.ReadLosses(reader)]);
    }

    /// <summary>What a run in a checkpoint was trained with, for checking that options can continue it.</summary>
    /// <exception cref="CheckpointFormatException">The file holds a saved model, not a training run.</exception>
    public static ResumableRun ReadResumable(CheckpointReader reader)
    {
        if (!reader.Has(CheckpointSections.Training))
        {
            throw new CheckpointFormatException(reader.Path, "it holds a saved model, not a training run, so there is nothing to resume; use DdpmTrainerOptions.FineTuneFrom to start a new run from its weights.");
        }

        TrainingSection run = reader.ReadJson<TrainingSection>(CheckpointSections.Training);
        ModelSection model = reader.ReadJson<ModelSection>(CheckpointSections.Model);
        return new ResumableRun(
            run.Seed,
            model.Architecture,
            NetworkConfigurations.FromJson(model.Architecture, model.Configuration, reader.Path),
            model.Prediction ?? Diffusion.PredictionType.Epsilon,
            new ImageShape(model.Channels, model.Height, model.Width),
            ModelCheckpoint.ReadScheduler(reader));
    }

    /// <summary>Loads a checkpoint's weights for fine-tuning: its EMA weights where it has them, else its network's, into each network given.</summary>
    /// <returns>Which weights were loaded: <c>ema</c> or <c>network</c>.</returns>
    public static string LoadWeights(CheckpointReader reader, nn.Module network, nn.Module? ema)
    {
        string section = reader.Has(CheckpointSections.Ema) ? CheckpointSections.Ema : CheckpointSections.Network;
        ModelCheckpoint.LoadInto(reader, network, section);
        if (ema is not null)
        {
            ModelCheckpoint.LoadInto(reader, ema, section);
        }

        return section;
    }

    private static Tensor Required(Dictionary<string, Tensor> tensors, string name, Tensor? like, string path)
    {
        if (!tensors.TryGetValue(name, out Tensor? value) || (like is not null && !value.shape.SequenceEqual(like.shape)))
        {
            throw new CheckpointFormatException(path, $"the optimiser or RNG state lacks a fitting '{name}'; it was made by a different network or version.");
        }

        return value;
    }
}
