using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;

namespace Ddpm.Cli.Settings;

/// <summary>
/// Every <c>ddpm train</c> setting, resolved from (in rising priority) the built-in defaults, the
/// <c>--preset</c>, a <c>--config</c> JSON file and the command-line flags.
/// </summary>
internal sealed record TrainSettings
{
    /// <summary>A folder of images, an IDX file, or null for the bundled Fashion-MNIST images.</summary>
    public string? Data { get; init; }

    public string Output { get; init; } = "ddpm-output";

    public NetworkChoice Model { get; init; } = NetworkChoice.UNet;

    public UNetSize UNet { get; init; } = UNetSize.Small;

    public int ImageSize { get; init; } = 32;

    public int Channels { get; init; } = 1;

    /// <summary>Passes over the data; used when <see cref="Steps"/> is null.</summary>
    public int? Epochs { get; init; }

    public long? Steps { get; init; } = 1200;

    public int BatchSize { get; init; } = 32;

    public double LearningRate { get; init; } = 1e-3;

    /// <summary>How the learning rate moves after the warm-up: constant (the notebook) or a cosine decay to 0 at the last step.</summary>
    public LearningRateSchedule LearningRateSchedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Steps of linear learning-rate warm-up from 0.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>The largest decay of the weights' moving average (0 samples from the trained weights themselves).</summary>
    public double EmaMaxDecay { get; init; } = new EmaOptions().MaxDecay;

    /// <summary>The power of the average's decay warm-up, 1 - (1 + step)^-power: larger averages over more steps.</summary>
    public double EmaPower { get; init; } = new EmaOptions().Power;

    public ScheduleChoice Schedule { get; init; } = ScheduleChoice.Linear;

    public int Timesteps { get; init; } = 1000;

    public LossType Loss { get; init; } = LossType.L2;

    /// <summary>The training step's number format; Auto lets the library choose (bfloat16 where the CPU has it natively and its kernels pass the check).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    public string Device { get; init; } = "cpu";

    /// <summary>CPU threads for libtorch; null uses every logical core.</summary>
    public int? Threads { get; init; }

    public int Seed { get; init; }

    /// <summary>Images in samples.png.</summary>
    public int Samples { get; init; } = 36;

    public SamplingMethod Sampler { get; init; } = SamplingMethod.DpmSolverPlusPlus2M;

    /// <summary>Reverse steps; null takes the method's own (T for DDPM, 20 for DPM-Solver++(2M), 50 for DDIM).</summary>
    public int? SamplingSteps { get; init; }

    public int CheckpointInterval { get; init; } = 500;

    /// <summary>The settings a preset starts from.</summary>
    public static TrainSettings For(RunPreset preset) => preset switch
    {
        RunPreset.Seed => new TrainSettings
        {
            Model = NetworkChoice.SimpleUNet,
            ImageSize = 64,
            Channels = 3,
            Epochs = 100,
            Steps = null,
            BatchSize = 128,
            Timesteps = 300,
            Loss = LossType.L1,
            Sampler = SamplingMethod.Ddpm,
            Samples = 16,
            CheckpointInterval = 1000,
        },
        RunPreset.FashionMnist => new TrainSettings { Epochs = 5, Steps = null, BatchSize = 64, Samples = 100 },
        _ => new TrainSettings(),
    };

    /// <summary>Returns these settings with every value <paramref name="patch"/> sets; a patch that sets epochs clears steps and the other way round.</summary>
    public TrainSettings Apply(TrainSettingsPatch patch) => this with
    {
        Data = patch.Data ?? Data,
        Output = patch.Output ?? Output,
        Model = patch.Model is null ? Model : CliNames.Networks[patch.Model],
        UNet = patch.UNet is null ? UNet : CliNames.UNetSizes[patch.UNet],
        ImageSize = patch.ImageSize ?? ImageSize,
        Channels = patch.Channels ?? Channels,
        Epochs = patch.Steps is not null ? null : patch.Epochs ?? Epochs,
        Steps = patch.Epochs is not null ? null : patch.Steps ?? Steps,
        BatchSize = patch.BatchSize ?? BatchSize,
        LearningRate = patch.LearningRate ?? LearningRate,
        LearningRateSchedule = patch.LearningRateSchedule is null ? LearningRateSchedule : CliNames.LearningRateSchedules[patch.LearningRateSchedule],
        WarmupSteps = patch.WarmupSteps ?? WarmupSteps,
        EmaMaxDecay = patch.EmaMaxDecay ?? EmaMaxDecay,
        EmaPower = patch.EmaPower ?? EmaPower,
        Schedule = patch.Schedule is null ? Schedule : CliNames.Schedules[patch.Schedule],
        Timesteps = patch.Timesteps ?? Timesteps,
        Loss = patch.Loss is null ? Loss : CliNames.Losses[patch.Loss],
        Precision = patch.Precision is null ? Precision : CliNames.Precisions[patch.Precision],
        Device = patch.Device ?? Device,
        Threads = patch.Threads ?? Threads,
        Seed = patch.Seed ?? Seed,
        Samples = patch.Samples ?? Samples,
        Sampler = patch.Sampler is null ? Sampler : CliNames.Samplers[patch.Sampler],
        SamplingSteps = patch.SamplingSteps ?? SamplingSteps,
        CheckpointInterval = patch.CheckpointInterval ?? CheckpointInterval,
    };

    /// <summary>All the settings as a patch: written to options.json, which <c>--config</c> reads back.</summary>
    public TrainSettingsPatch ToPatch() => new()
    {
        Data = Data,
        Output = Output,
        Model = CliNames.Name(CliNames.Networks, Model),
        UNet = CliNames.Name(CliNames.UNetSizes, UNet),
        ImageSize = ImageSize,
        Channels = Channels,
        Epochs = Epochs,
        Steps = Steps,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        LearningRateSchedule = CliNames.Name(CliNames.LearningRateSchedules, LearningRateSchedule),
        WarmupSteps = WarmupSteps,
        EmaMaxDecay = EmaMaxDecay,
        EmaPower = EmaPower,
        Schedule = CliNames.Name(CliNames.Schedules, Schedule),
        Timesteps = Timesteps,
        Loss = CliNames.Name(CliNames.Losses, Loss),
        Precision = CliNames.Name(CliNames.Precisions, Precision),
        Device = Device,
        Threads = Threads,
        Seed = Seed,
        Samples = Samples,
        Sampler = CliNames.Name(CliNames.Samplers, Sampler),
        SamplingSteps = SamplingSteps,
        CheckpointInterval = CheckpointInterval,
    };

    /// <summary>The network these settings describe.</summary>
    public INetworkConfiguration CreateNetwork() => Model switch
    {
        NetworkChoice.SimpleUNet => new SimpleUNetConfiguration { ImageChannels = Channels },
        _ => UNet switch
        {
            UNetSize.Tiny => UNetPresets.Tiny(Channels),
            UNetSize.Medium => UNetPresets.Medium(Channels),
            UNetSize.Base => UNetPresets.Base(Channels),
            UNetSize.Large => UNetPresets.Large(Channels),
            _ => UNetPresets.Small(Channels),
        },
    };

    /// <summary>The trainer options these settings describe.</summary>
    /// <param name="checkpointDirectory">Where checkpoints go, or null for none.</param>
    /// <param name="kernels">The CPU kernel path (the global <c>--cpu-kernels</c> flag).</param>
    public DdpmTrainerOptions CreateTrainerOptions(string? checkpointDirectory, CpuKernelPath kernels) => new()
    {
        Network = CreateNetwork(),
        Epochs = Epochs ?? 1,
        MaxSteps = Steps,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        LearningRateSchedule = LearningRateSchedule,
        WarmupSteps = WarmupSteps,
        Ema = new EmaOptions { MaxDecay = EmaMaxDecay, Power = EmaPower },
        Schedule = CreateSchedule(),
        Timesteps = Timesteps,
        Loss = Loss,
        Precision = Precision,
        Device = Device,
        Threads = Threads,
        CpuKernels = kernels,
        Seed = Seed,
        CheckpointDirectory = checkpointDirectory,
        CheckpointInterval = CheckpointInterval,
        LogInterval = 100,
    };

    /// <summary>The beta schedule these settings name.</summary>
    public IBetaSchedule CreateSchedule() => Schedule.ToSchedule();

    /// <summary>The sampler for samples.png; the rest follows the model (<see cref="SamplingDefaults"/>).</summary>
    public DdpmSamplerOptions CreateSamplerOptions(int batchSize) => SamplerOptions.Create(Sampler, SamplingSteps, eta: 0, Seed, batchSize, Device, Threads);
}
