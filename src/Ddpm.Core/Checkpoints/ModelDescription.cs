using System.Text.Json;
using System.Text.Json.Nodes;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// A model apart from its weights, as one JSON file: the network's architecture and configuration, the image shape,
/// the noise schedule's exact betas, the prediction type and the class names. <c>ddpm export</c> writes it beside
/// the weights (<c>model.safetensors</c> → <c>model.config.json</c>, <see cref="PathFor"/>); the PyTorch twins in
/// python/ddpm_core_torch build their network from it, <c>train_ddp.py</c> writes one beside what it trains, and
/// <c>ddpm import --config</c> reads it back (<see cref="DdpmModel.FromWeights"/>). The keys are those of the
/// checkpoint format (camelCase), so a configuration reads the same on both sides.
/// </summary>
public sealed record ModelDescription
{
    /// <summary>The value of the <c>format</c> key, which names this layout and its version.</summary>
    public const string Format = "ddpm-core-model/1";

    /// <summary>Gets the network configuration (<see cref="UNetConfiguration"/> or <see cref="SimpleUNetConfiguration"/>).</summary>
    public required INetworkConfiguration Network { get; init; }

    /// <summary>Gets the shape of one image.</summary>
    public required ImageShape ImageShape { get; init; }

    /// <summary>Gets β_t for t = 0..T-1, exactly as the model was trained with; T is their count.</summary>
    public required IReadOnlyList<double> Betas { get; init; }

    /// <summary>Gets the schedule's name, for people (<c>linear</c>, <c>cosine</c>, ...); <see cref="Betas"/> is what counts.</summary>
    /// <value>The default value is <c>custom</c>.</value>
    public string Schedule { get; init; } = "custom";

    /// <summary>Gets what the network predicts.</summary>
    /// <value>The default value is <see cref="PredictionType.Epsilon"/>.</value>
    public PredictionType Prediction { get; init; } = PredictionType.Epsilon;

    /// <summary>Gets the class names of a class-conditional model, by label; empty for an unconditional one.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Gets the optimiser steps the weights were trained for.</summary>
    public long TrainedSteps { get; init; }

    /// <summary>Gets which weights the file beside it holds: <c>ema</c> or <c>network</c>.</summary>
    /// <value>The default value is <c>ema</c>.</value>
    public string Weights { get; init; } = "ema";

    /// <summary>Gets T, the number of diffusion steps.</summary>
    public int Timesteps => Betas.Count;

    /// <summary>The description's path beside a weights file: <c>model.safetensors</c> (or .pt, .pth, .bin) → <c>model.config.json</c>.</summary>
    /// <param name="weightsPath">The weights file.</param>
    /// <returns>The path of the JSON file.</returns>
    public static string PathFor(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        string extension = Path.GetExtension(weightsPath);
        string stem = extension is ".safetensors" or ".pt" or ".pth" or ".bin" ? weightsPath[..^extension.Length] : weightsPath;
        return stem + ".config.json";
    }

    /// <summary>Reads and checks a description file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The description.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a description, or a value is missing or invalid; the message names the key.</exception>
    public static ModelDescription Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model description '{path}' does not exist; ddpm export writes one beside the weights (NAME.config.json).", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and checks a description.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the text came from, for messages.</param>
    /// <returns>The description.</returns>
    /// <exception cref="CheckpointFormatException">The text is not a description, or a value is missing or invalid; the message names the key.</exception>
    public static ModelDescription Parse(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new CheckpointFormatException(source, "it is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(source, $"it is not JSON ({e.Message}).", e);
        }

        T Value<T>(string key)
        {
            try
            {
                return root[key] is JsonNode node ? node.Deserialize<T>(CheckpointJson.Options)! : throw new CheckpointFormatException(source, $"it has no \"{key}\".");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new CheckpointFormatException(source, $"\"{key}\" cannot be read ({e.Message}).", e);
            }
        }

        string format = root["format"] is JsonValue f && f.TryGetValue(out string? text) ? text : string.Empty;
        if (format != Format)
        {
            throw new CheckpointFormatException(source, $"its \"format\" is '{format}', not '{Format}': it is not a model description written by ddpm export or ddpm_core_torch.");
        }

        string architecture = Value<string>("architecture");
        INetworkConfiguration network = NetworkConfigurations.FromJson(architecture, root["configuration"], source)
            ?? throw new CheckpointFormatException(source, $"\"architecture\" is '{architecture}'; the known ones are unet and simple-unet.");
        int[] shape = Value<int[]>("imageShape");
        if (shape.Length != 3)
        {
            throw new CheckpointFormatException(source, $"\"imageShape\" has {shape.Length} numbers; it needs 3: [channels, height, width].");
        }

        var imageShape = new ImageShape(shape[0], shape[1], shape[2]);
        try
        {
            network.Validate(imageShape);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(source, $"\"configuration\" and \"imageShape\" do not fit: {e.Message}", e);
        }

        double[] betas = Value<double[]>("betas");
        if (betas.Length == 0 || betas.Any(b => !(b > 0 && b <= 1)))
        {
            throw new CheckpointFormatException(source, "\"betas\" must hold at least one β, each in (0, 1].");
        }

        if (root["timesteps"] is JsonNode && Value<int>("timesteps") != betas.Length)
        {
            throw new CheckpointFormatException(source, $"\"timesteps\" is {Value<int>("timesteps")} but \"betas\" holds {betas.Length}.");
        }

        PredictionType prediction = root["prediction"] is null ? PredictionType.Epsilon : Value<PredictionType>("prediction");
        string[] classNames = root["classNames"] is null ? [] : Value<string[]>("classNames");
        int classCount = network is UNetConfiguration unet ? unet.ClassCount : 0;
        if (classNames.Length != 0 && classNames.Length != classCount)
        {
            throw new CheckpointFormatException(source, $"\"classNames\" holds {classNames.Length} names but the network has {classCount} classes.");
        }

        return new ModelDescription
        {
            Network = network,
            ImageShape = imageShape,
            Betas = betas,
            Schedule = root["schedule"] is null ? "custom" : Value<string>("schedule"),
            Prediction = prediction,
            ClassNames = classNames,
            TrainedSteps = root["trainedSteps"] is null ? 0 : Value<long>("trainedSteps"),
            Weights = root["weights"] is null ? "ema" : Value<string>("weights"),
        };
    }

    /// <summary>Writes the description as indented JSON.</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        File.WriteAllText(path, ToJson() + "\n");
    }

    /// <summary>Returns the description as indented JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["architecture"] = Network.Architecture,
            ["configuration"] = Configuration(),
            ["imageShape"] = new JsonArray(ImageShape.Channels, ImageShape.Height, ImageShape.Width),
            ["schedule"] = Schedule,
            ["timesteps"] = Timesteps,
            ["betas"] = new JsonArray([.. Betas.Select(b => (JsonNode)JsonValue.Create(b))]),
            ["prediction"] = Prediction.ToString(),
            ["classNames"] = new JsonArray([.. ClassNames.Select(n => (JsonNode)JsonValue.Create(n))]),
            ["trainedSteps"] = TrainedSteps,
            ["weights"] = Weights,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The configuration's settable values only (no derived ones such as the architecture name or size multiple).</summary>
    private JsonObject Configuration()
    {
        var json = (JsonObject)NetworkConfigurations.ToJson(Network)!;
        foreach (string derived in new[] { "architecture", "sizeMultiple" })
        {
            json.Remove(derived);
        }

        return json;
    }
}
