using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>Layer factories that fix TorchSharp defaults.</summary>
internal static class Layers
{
    /// <summary>
    /// A GroupNorm with PyTorch's initial affine parameters (weight 1, bias 0). TorchSharp 0.107
    /// allocates them with <c>torch.empty</c> and never initialises them, so an untouched GroupNorm
    /// scales by whatever was in memory (often NaN).
    /// </summary>
    public static GroupNorm GroupNorm(int groups, int channels)
    {
        GroupNorm norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            norm.weight.fill_(TensorScalars.One);
            norm.bias!.zero_();
        }

        return norm;
    }
}
