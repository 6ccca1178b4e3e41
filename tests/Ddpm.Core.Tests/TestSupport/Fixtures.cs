using Ddpm.Core.Interop;
using Ddpm.Core.Models;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Paths of the reference fixtures copied next to the test assembly, and the network they were made with.</summary>
internal static class Fixtures
{
    /// <summary>The configuration of the small notebook network in <c>simple_unet_small.safetensors</c>.</summary>
    public static SimpleUNetConfiguration SmallNotebookConfiguration => new() { ImageChannels = 3, DownChannels = [8, 16, 32, 64, 128], TimeEmbeddingDim = 32 };

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>The small notebook network with the reference weights (tests/reference/simple_unet_reference.py), loaded strictly; the caller owns it.</summary>
    public static SimpleUNet SmallNotebookNetwork()
    {
        using StateDict weights = SafeTensors.Read(PathOf("simple_unet_small.safetensors"));
        var network = new SimpleUNet(SmallNotebookConfiguration);
        StateDictLoader.Load(network, weights.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value));
        return network;
    }
}
