using Ddpm.Core.Sampling;

namespace Ddpm.Cli.Settings;

/// <summary>
/// How <c>ddpm</c> samples each network: the UNet with its EMA weights, clipping x̂_0 (DDIM in 50
/// steps unless told otherwise); the notebook's SimpleUNet as the notebook does, with batch
/// statistics and every x_t clamped (its BatchNorm samples nothing recognisable in eval mode).
/// </summary>
internal static class SamplingDefaults
{
    /// <summary>The sampler a network gets when none is named.</summary>
    public static SamplerChoice MethodFor(bool simpleUNet) => simpleUNet ? SamplerChoice.Ddpm : SamplerChoice.Ddim;

    /// <summary>The reverse steps when none are named: 50 (at most T) for DDIM, all T for DDPM.</summary>
    public static int? StepsFor(SamplerChoice method, int timesteps) => method == SamplerChoice.Ddim ? Math.Min(50, timesteps) : null;

    public static DdpmSamplerOptions Create(bool simpleUNet, SamplerChoice method, int? steps, double eta, int seed, int batchSize, string device, int? threads) => new()
    {
        Method = method == SamplerChoice.Ddim ? SamplingMethod.Ddim : SamplingMethod.Ddpm,
        Steps = steps,
        Eta = eta,
        Seed = seed,
        BatchSize = batchSize,
        Device = device,
        Threads = threads,
        BatchNormMode = simpleUNet ? BatchNormMode.BatchStatistics : BatchNormMode.RunningStatistics,
        ClipPredictedSample = !simpleUNet,
        ClampEachStep = simpleUNet,
    };
}
