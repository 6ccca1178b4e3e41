using Ddpm.Core.Sampling;
using Ddpm.Core.Training;

namespace Ddpm.Cli.Settings;

/// <summary>The command-line spelling of each choice (kebab case), both ways.</summary>
internal static class CliNames
{
    public static readonly IReadOnlyDictionary<string, NetworkChoice> Networks = new Dictionary<string, NetworkChoice>
    {
        ["unet"] = NetworkChoice.UNet,
        ["simple-unet"] = NetworkChoice.SimpleUNet,
    };

    public static readonly IReadOnlyDictionary<string, UNetSize> UNetSizes = new Dictionary<string, UNetSize>
    {
        ["tiny"] = UNetSize.Tiny,
        ["small"] = UNetSize.Small,
        ["medium"] = UNetSize.Medium,
        ["base"] = UNetSize.Base,
        ["large"] = UNetSize.Large,
    };

    public static readonly IReadOnlyDictionary<string, ScheduleChoice> Schedules = new Dictionary<string, ScheduleChoice>
    {
        ["linear"] = ScheduleChoice.Linear,
        ["cosine"] = ScheduleChoice.Cosine,
        ["quadratic"] = ScheduleChoice.Quadratic,
        ["sigmoid"] = ScheduleChoice.Sigmoid,
        ["scaled-linear"] = ScheduleChoice.ScaledLinear,
    };

    public static readonly IReadOnlyDictionary<string, LossType> Losses = new Dictionary<string, LossType>
    {
        ["l2"] = LossType.L2,
        ["l1"] = LossType.L1,
        ["huber"] = LossType.Huber,
    };

    public static readonly IReadOnlyDictionary<string, LearningRateSchedule> LearningRateSchedules = new Dictionary<string, LearningRateSchedule>
    {
        ["constant"] = LearningRateSchedule.Constant,
        ["cosine"] = LearningRateSchedule.Cosine,
    };

    public static readonly IReadOnlyDictionary<string, TrainingPrecision> Precisions = new Dictionary<string, TrainingPrecision>
    {
        ["auto"] = TrainingPrecision.Auto,
        ["fp32"] = TrainingPrecision.Float32,
        ["bf16"] = TrainingPrecision.BFloat16,
    };

    /// <summary>The built-in methods by their own names (ddpm, ddim, dpm++2m, euler, euler-a, heun), from the library.</summary>
    public static readonly IReadOnlyDictionary<string, SamplingMethod> Samplers = SamplingMethods.ByName;

    public static readonly IReadOnlyDictionary<string, TimestepSpacing> Spacings = new Dictionary<string, TimestepSpacing>
    {
        ["trailing"] = TimestepSpacing.Trailing,
        ["linspace"] = TimestepSpacing.Linspace,
        ["leading"] = TimestepSpacing.Leading,
        ["karras"] = TimestepSpacing.Karras,
    };

    /// <summary>Which weights of a model <c>sample</c> and <c>export</c> use: the moving average (the trained weights when there is none) or the trained ones.</summary>
    public static readonly IReadOnlyDictionary<string, ModelWeights> Weights = new Dictionary<string, ModelWeights>
    {
        ["ema"] = ModelWeights.Ema,
        ["network"] = ModelWeights.Trained,
    };

    public static readonly IReadOnlyDictionary<string, RunPreset> Presets = new Dictionary<string, RunPreset>
    {
        ["default"] = RunPreset.Default,
        ["seed"] = RunPreset.Seed,
        ["fashion-mnist"] = RunPreset.FashionMnist,
    };

    /// <summary>Parses <paramref name="text"/>; throws <see cref="UsageException"/> naming <paramref name="what"/> and the valid names.</summary>
    public static T Parse<T>(IReadOnlyDictionary<string, T> names, string text, string what) =>
        names.TryGetValue(text, out T? value)
            ? value
            : throw new UsageException($"{what} is '{text}'; use {string.Join(", ", names.Keys.SkipLast(1))} or {names.Keys.Last()}.");

    /// <summary>The command-line name of <paramref name="value"/>.</summary>
    public static string Name<T>(IReadOnlyDictionary<string, T> names, T value) => names.First(pair => EqualityComparer<T>.Default.Equals(pair.Value, value)).Key;
}
