using System.Text.Json.Nodes;

namespace Ddpm.Core.Checkpoints;

/// <summary>The names of the sections the library writes. Unknown names are skipped by readers.</summary>
internal static class CheckpointSections
{
    public const string Meta = "meta";
    public const string Model = "model";
    public const string Scheduler = "scheduler";
    public const string Network = "network";
    public const string Ema = "ema";
    public const string Training = "training";
    public const string Optimizer = "optimizer";
    public const string Random = "rng";
    public const string History = "history";
}

/// <summary>The "meta" section: what wrote the file and what it holds.</summary>
internal sealed record MetaSection(string Format, string Library, DateTimeOffset Created, string Kind);

/// <summary>The "model" section: the network's architecture and configuration and the image shape.</summary>
/// <remarks>Fields added after version 1 are nullable: files written before them read as the old default.</remarks>
internal sealed record ModelSection(
    string Architecture,
    JsonNode? Configuration,
    int Channels,
    int Height,
    int Width,
    long TrainedSteps,
    long ParameterCount,
    Ddpm.Core.Diffusion.PredictionType? Prediction = null,
    string[]? ClassNames = null);

/// <summary>The "scheduler" section: the schedule's name, T and its exact betas.</summary>
internal sealed record SchedulerSection(string Schedule, string Description, int Timesteps, double[] Betas);

/// <summary>The "training" section: where a run stands and how it was configured (Precision: the precision and why; absent before 2026-11-30).</summary>
internal sealed record TrainingSection(long Step, int Epoch, int Seed, long TotalSteps, double SmoothedLoss, string Optimizer, JsonNode Options, string? Precision = null);
