using System.Reflection;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>Writes and reads the sections that describe a model (<see cref="ModelContents"/>).</summary>
internal static class ModelCheckpoint
{
    public const string Format = "ddpm-core-checkpoint";

    public static string LibraryVersion { get; } =
        typeof(ModelCheckpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static void Write(CheckpointWriter writer, ModelContents model, string kind)
    {
        writer.AddJson(CheckpointSections.Meta, Json(new MetaSection(Format, LibraryVersion, DateTimeOffset.UtcNow, kind)));
        writer.AddJson(CheckpointSections.Model, Json(new ModelSection(
            model.Configuration?.Architecture ?? "custom",
            model.Configuration is null ? null : NetworkConfigurations.ToJson(model.Configuration),
            model.ImageShape.Channels,
            model.ImageShape.Height,
            model.ImageShape.Width,
            model.TrainedSteps,
            model.Network.parameters().Sum(p => p.numel()),
            model.PredictionType,
            [.. model.ClassNames])));
        writer.AddJson(CheckpointSections.Scheduler, Json(new SchedulerSection(
            model.Scheduler.Schedule.Name, model.Scheduler.Schedule.ToString() ?? model.Scheduler.Schedule.Name, model.Scheduler.Timesteps, model.Scheduler.BetaValues)));
        writer.AddTensors(CheckpointSections.Network, model.Network.state_dict());
        if (model.EmaNetwork is not null)
        {
            writer.AddTensors(CheckpointSections.Ema, model.EmaNetwork.state_dict());
        }

        using Tensor losses = tensor(model.Losses.ToArray());
        writer.AddTensors(CheckpointSections.History, [new("loss", losses)]);
    }

    /// <summary>Reads a model; the caller owns the networks and scheduler of the result.</summary>
    public static ModelContents Read(CheckpointReader reader, Device device, INetworkConfiguration? configuration)
    {
        MetaSection meta = reader.ReadJson<MetaSection>(CheckpointSections.Meta);
        if (meta.Format != Format)
        {
            throw new CheckpointFormatException(reader.Path, $"the file's format is '{meta.Format}', not '{Format}'.");
        }

        ModelSection model = reader.ReadJson<ModelSection>(CheckpointSections.Model);
        configuration ??= NetworkConfigurations.FromJson(model.Architecture, model.Configuration, reader.Path)
            ?? throw new CheckpointFormatException(
                reader.Path,
                $"its network architecture '{model.Architecture}' is not one the library knows; pass the network's configuration to Load.");
        if (configuration.Architecture != model.Architecture)
        {
            throw new CheckpointFormatException(reader.Path, $"it holds a '{model.Architecture}' network, not the '{configuration.Architecture}' configuration given.");
        }

        var shape = new ImageShape(model.Channels, model.Height, model.Width);
        try
        {
            configuration.Validate(shape);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(reader.Path, $"its configuration is invalid: {e.Message}", e);
        }

        SchedulerSection scheduler = ReadScheduler(reader);
        nn.Module<Tensor, Tensor, Tensor>? network = null;
        nn.Module<Tensor, Tensor, Tensor>? ema = null;
        NoiseScheduler? noise = null;
        try
        {
            network = LoadNetwork(reader, configuration, CheckpointSections.Network, device);
            ema = reader.Has(CheckpointSections.Ema) ? LoadNetwork(reader, configuration, CheckpointSections.Ema, device) : null;
            noise = new NoiseScheduler(new CustomBetaSchedule(scheduler.Betas, scheduler.Schedule), scheduler.Timesteps, device);
            network.eval();
            ema?.eval();
            return new ModelContents(
                network, ema, noise, shape, configuration, model.TrainedSteps, model.Prediction ?? PredictionType.Epsilon, model.ClassNames ?? [], [.. ReadLosses(reader)]);
        }
        catch
        {
            network?.Dispose();
            ema?.Dispose();
            noise?.Dispose();
            throw;
        }
    }

    public static SchedulerSection ReadScheduler(CheckpointReader reader)
    {
        SchedulerSection scheduler = reader.ReadJson<SchedulerSection>(CheckpointSections.Scheduler);
        if (scheduler.Timesteps < 1 || scheduler.Betas is null || scheduler.Betas.Length != scheduler.Timesteps
            || scheduler.Betas.Any(b => !(b > 0 && b <= 1)))
        {
            throw new CheckpointFormatException(reader.Path, "its scheduler section is inconsistent (T and the betas disagree, or a beta lies outside (0, 1]).");
        }

        return scheduler;
    }

    public static IEnumerable<float> ReadLosses(CheckpointReader reader)
    {
        if (!reader.Has(CheckpointSections.History))
        {
            return [];
        }

        Dictionary<string, Tensor> history = reader.ReadTensors(CheckpointSections.History);
        try
        {
            return history.TryGetValue("loss", out Tensor? losses) && losses.dtype == ScalarType.Float32
                ? losses.data<float>().ToArray()
                : [];
        }
        finally
        {
            foreach (Tensor t in history.Values)
            {
                t.Dispose();
            }
        }
    }

    public static void LoadInto(CheckpointReader reader, nn.Module module, string section)
    {
        Dictionary<string, Tensor> stored = reader.ReadTensors(section);
        try
        {
            // One loader for PyTorch files and checkpoints; a checkpoint must match dtypes exactly too.
            Dictionary<string, Tensor> live = module.state_dict();
            StateDictReport report = StateDictLoader.Compare(live, stored, exactTypes: true);
            if (!report.IsExact)
            {
                throw new CheckpointFormatException(
                    reader.Path,
                    $"the '{section}' weights do not fit the network ({report}). It was made by a different architecture or configuration.");
            }

            StateDictLoader.Copy(live, stored, report);
        }
        finally
        {
            foreach (Tensor t in stored.Values)
            {
                t.Dispose();
            }
        }
    }

    private static nn.Module<Tensor, Tensor, Tensor> LoadNetwork(CheckpointReader reader, INetworkConfiguration configuration, string section, Device device)
    {
        nn.Module<Tensor, Tensor, Tensor> network = configuration.CreateNetwork();
        try
        {
            LoadInto(reader, network, section);
            network.to(device);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static System.Text.Json.Nodes.JsonNode Json<T>(T value) =>
        System.Text.Json.JsonSerializer.SerializeToNode(value, CheckpointJson.Options)!;
}
