using Ddpm.Core.Models;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Narrow SimpleUNet configurations that run in milliseconds on a CPU.</summary>
internal static class TinyNetworks
{
    /// <summary>Two downsamplings (sizes divisible by 4), widths 8-16-32.</summary>
    public static SimpleUNetConfiguration SimpleUNet(int channels = 1) => new()
    {
        ImageChannels = channels,
        DownChannels = [8, 16, 32],
        TimeEmbeddingDim = 16,
    };
}
