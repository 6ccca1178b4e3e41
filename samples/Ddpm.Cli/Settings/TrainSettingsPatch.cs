using System.Text.Json;
using System.Text.Json.Serialization;
using Ddpm.Core.Kernels;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Microsoft.Extensions.Options;

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

    [JsonPropertyName("lr-schedule")]
    public string? LearningRateSchedule { get; init; }

    [JsonPropertyName("warmup-steps")]
    public long? WarmupSteps { get; init; }

    [JsonPropertyName("ema-max-decay")]
    public double? EmaMaxDecay { get; init; }

    [JsonPropertyName("ema-power")]
    public double? EmaPower { get; init; }

    [JsonPropertyName("schedule")]
    public string? Schedule { get; init; }

    [JsonPropertyName("timesteps")]
    public int? Timesteps { get; init; }

    [JsonPropertyName("loss")]
    public string? Loss { get; init; }

    [JsonPropertyName("precision")]
    public string? Precision { get; init; }

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

        Range(name("samples"), Samples, 1, 4096);
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

        if (LearningRateSchedule is not null)
        {
            CliNames.Parse(CliNames.LearningRateSchedules, LearningRateSchedule, name("lr-schedule"));
        }

        if (Precision is not null)
        {
            CliNames.Parse(CliNames.Precisions, Precision, name("precision"));
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

        // What the library takes, its own validators check: this patch over the defaults, as trainer and
        // sampler options. Each failure starts with the option's name, which becomes the key the user wrote.
        TrainSettings settings = TrainSettings.For(RunPreset.Default).Apply(this);
        var set = JsonSerializer.SerializeToNode(this, Json)!.AsObject().Select(p => p.Key).ToHashSet();
        List<(string Message, bool Named)> failures =
        [
            .. Failures(new DdpmTrainerOptionsValidator().Validate(null, settings.CreateTrainerOptions(checkpointDirectory: null, CpuKernelPath.Auto)), TrainerKeys, set, name),
            .. Failures(new DdpmSamplerOptionsValidator().Validate(null, settings.CreateSamplerOptions(batchSize: 1)), SamplerKeys, set, name),
        ];

        // A failure of an option this patch does not set follows from one it does (a default sampling-steps
        // from a bad --timesteps): report the named ones, or else the rest as they are.
        List<string> report = failures.Where(f => f.Named).Select(f => f.Message).Distinct().ToList();
        if (report.Count == 0)
        {
            report = failures.Select(f => f.Message).Distinct().ToList();
        }

        if (report.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, report));
        }
    }

    /// <summary>The trainer options the train settings set, by the key that sets them.</summary>
    private static readonly Dictionary<string, string> TrainerKeys = new()
    {
        ["Epochs"] = "epochs",
        ["MaxSteps"] = "steps",
        ["BatchSize"] = "batch-size",
        ["LearningRate"] = "lr",
        ["LearningRateSchedule"] = "lr-schedule",
        ["WarmupSteps"] = "warmup-steps",
        ["Ema.MaxDecay"] = "ema-max-decay",
        ["Ema.Power"] = "ema-power",
        ["Timesteps"] = "timesteps",
        ["Loss"] = "loss",
        ["Precision"] = "precision",
        ["Device"] = "device",
        ["Threads"] = "threads",
        ["Seed"] = "seed",
        ["CheckpointInterval"] = "checkpoint-interval",
    };

    /// <summary>The sampler options (for samples.png) the train settings set, by the key that sets them.</summary>
    private static readonly Dictionary<string, string> SamplerKeys = new()
    {
        ["Steps"] = "sampling-steps",
        ["Method"] = "sampler",
        ["Device"] = "device",
        ["Threads"] = "threads",
        ["Seed"] = "seed",
    };

    /// <summary>
    /// A validator's failures (each leads with the option's name), prefixed with the key that set the option
    /// where this patch set it.
    /// </summary>
    private static IEnumerable<(string Message, bool Named)> Failures(ValidateOptionsResult result, Dictionary<string, string> keys, HashSet<string> set, Func<string, string> name) =>
        result.Failed
            ? result.Failures.Select(f => keys.FirstOrDefault(k => f.StartsWith(k.Key + " ", StringComparison.Ordinal) && set.Contains(k.Value)) is { Key: not null } match
                ? ($"{name(match.Value)}: {f}", true)
                : (f, false))
            : [];

    private static void Range(string name, long? value, long min, long max)
    {
        if (value is long v && (v < min || v > max))
        {
            throw new UsageException($"{name} is {v}; use a whole number from {min:N0} to {max:N0}.");
        }
    }
}
