using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ddpm.Cli.Settings;

/// <summary>
/// Some of the <c>ddpm train</c> settings: what one source (a JSON config file or the command line)
/// sets; null leaves the value to the source below it. JSON keys are the flag names without the dashes.
/// </summary>
internal sealed record TrainSettingsPatch
{
    private static readonly JsonSerializerOptions Json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    [JsonPropertyName("data")]
    public string? Data { get; init; }

    [JsonPropertyName("out")]
    public string? Output { get; init; }

    [JsonPropertyName("model")]
    public string? Model { get; init; }

    [JsonPropertyName("unet")]
    public string? UNet { get; init; }

    [JsonPropertyName("image-size")]
    public int? ImageSize { get; init; }

    [JsonPropertyName("channels")]
    public int? Channels { get; init; }

    [JsonPropertyName("epochs")]
    public int? Epochs { get; init; }

    [JsonPropertyName("steps")]
    public long? Steps { get; init; }

    [JsonPropertyName("batch-size")]
    public int? BatchSize { get; init; }

    [JsonPropertyName("lr")]
    public double? LearningRate { get; init; }

    [JsonPropertyName("schedule")]
    public string? Schedule { get; init; }

    [JsonPropertyName("timesteps")]
    public int? Timesteps { get; init; }

    [JsonPropertyName("loss")]
    public string? Loss { get; init; }

    [JsonPropertyName("device")]
    public string? Device { get; init; }

    [JsonPropertyName("threads")]
    public int? Threads { get; init; }

    [JsonPropertyName("seed")]
    public int? Seed { get; init; }

    [JsonPropertyName("samples")]
    public int? Samples { get; init; }

    [JsonPropertyName("sampler")]
    public string? Sampler { get; init; }

    [JsonPropertyName("sampling-steps")]
    public int? SamplingSteps { get; init; }

    [JsonPropertyName("checkpoint-interval")]
    public int? CheckpointInterval { get; init; }

    /// <summary>Reads a JSON config file; throws <see cref="UsageException"/> for a missing file, bad JSON or an unknown key.</summary>
    public static TrainSettingsPatch Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"--config '{path}' does not exist.");
        }

        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<TrainSettingsPatch>(stream, Json) ?? throw new UsageException($"--config '{path}' holds JSON null; write an object such as {{ \"steps\": 500 }}.");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--config '{path}' is not a valid settings file: {e.Message} Keys are the train flags without dashes, for example {{ \"batch-size\": 64, \"schedule\": \"cosine\" }}.");
        }
    }

    /// <summary>Writes the patch as an indented JSON object.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Checks every value this patch sets; <paramref name="name"/> turns a key (for example
    /// <c>batch-size</c>) into how the user wrote it (<c>--batch-size</c>, or <c>"batch-size" in FILE</c>).
    /// </summary>
    public void Validate(Func<string, string> name)
    {
        Range(name("image-size"), ImageSize, 8, 1024);
        Range(name("channels"), Channels, 1, 3);
        if (Channels == 2)
        {
            throw new UsageException($"{name("channels")} is 2; use 1 (grayscale) or 3 (RGB).");
        }

        Range(name("epochs"), Epochs, 1, 1_000_000);
        Range(name("steps"), Steps, 1, 1_000_000_000);
        Range(name("batch-size"), BatchSize, 1, 65_536);
        Range(name("timesteps"), Timesteps, 1, 100_000);
        Range(name("seed"), Seed, 0, int.MaxValue);
        Range(name("threads"), Threads, 1, 1024);
        Range(name("samples"), Samples, 1, 4096);
        Range(name("sampling-steps"), SamplingSteps, 1, 100_000);
        Range(name("checkpoint-interval"), CheckpointInterval, 1, 1_000_000_000);
        if (LearningRate is double lr && !(lr > 0 && lr <= 10))
        {
            throw new UsageException($"{name("lr")} is {lr}; use a learning rate greater than 0 and at most 10, such as 1e-3.");
        }

        if (Epochs is not null && Steps is not null)
        {
            throw new UsageException($"{name("epochs")} and {name("steps")} are both set; give one of them.");
        }

        if (Model is not null)
        {
            CliNames.Parse(CliNames.Networks, Model, name("model"));
        }

        if (UNet is not null)
        {
            CliNames.Parse(CliNames.UNetSizes, UNet, name("unet"));
        }

        if (Schedule is not null)
        {
            CliNames.Parse(CliNames.Schedules, Schedule, name("schedule"));
        }

        if (Loss is not null)
        {
            CliNames.Parse(CliNames.Losses, Loss, name("loss"));
        }

        if (Sampler is not null)
        {
            CliNames.Parse(CliNames.Samplers, Sampler, name("sampler"));
        }

        foreach ((string key, string? text) in new[] { ("data", Data), ("out", Output), ("device", Device) })
        {
            if (text is not null && string.IsNullOrWhiteSpace(text))
            {
                throw new UsageException($"{name(key)} is empty; give a value or leave it out.");
            }
        }
    }

    private static void Range(string name, long? value, long min, long max)
    {
        if (value is long v && (v < min || v > max))
        {
            throw new UsageException($"{name} is {v}; use a whole number from {min:N0} to {max:N0}.");
        }
    }
}
