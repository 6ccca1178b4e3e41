using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Untrained tiny models for sampler tests (sampling maths does not need trained weights).</summary>
internal static class TinyModels
{
    public static DdpmModel Untrained(int timesteps = 20, int channels = 1, int size = 8, int seed = 0)
    {
        var configuration = TinyNetworks.SimpleUNet(channels);
        SimpleUNet network;
        lock (typeof(TinyModels))
        {
            manual_seed(seed);
            network = new SimpleUNet(configuration);
        }

        network.eval();
        return new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, timesteps), new ImageShape(channels, size, size), configuration);
    }

    /// <summary>An untrained model with the library's UNet (the smallest preset), for behaviour that depends on the network.</summary>
    public static DdpmModel UntrainedUNet(int timesteps = 20, int channels = 1, int size = 16, int seed = 0)
    {
        UNetConfiguration configuration = UNetPresets.Tiny(channels);
        UNet network;
        lock (typeof(TinyModels))
        {
            manual_seed(seed);
            network = new UNet(configuration);
        }

        network.eval();
        return new DdpmModel(network, new NoiseScheduler(KnownBetaSchedules.Linear, timesteps), new ImageShape(channels, size, size), configuration);
    }
}
