using Ddpm.Core.Sampling;

namespace Ddpm.Cli.Settings;

/// <summary>
/// The sampler options of <c>ddpm sample</c> and of <c>ddpm train</c>'s samples.png. What the flags leave out
/// stays null, and the library fills it in for the model (<see cref="SamplingDefaults"/>), as for any user.
/// </summary>
internal static class SamplerOptions
{
    public static DdpmSamplerOptions Create(SamplingMethod? method, int? steps, double eta, int seed, int batchSize, string device, int? threads) => new()
    {
        Method = method,
        Steps = steps,
        Eta = eta,
        Seed = seed,
        BatchSize = batchSize,
        Device = device,
        Threads = threads,
    };
}
