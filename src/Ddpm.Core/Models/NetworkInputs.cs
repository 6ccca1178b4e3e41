using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>The input checks every network runs before its forward pass, so a bad shape never reaches native code.</summary>
internal static class NetworkInputs
{
    public static void Check(string network, Tensor x, Tensor timestep, int channels, int sizeMultiple)
    {
        if (x.dim() != 4)
        {
            throw new ArgumentException($"{network} expects images of shape [B, C, H, W], not [{string.Join(", ", x.shape)}].", nameof(x));
        }

        if (x.shape[1] != channels)
        {
            throw new ArgumentException($"{network} was built for {channels} channel(s) but the input has {x.shape[1]}.", nameof(x));
        }

        if (x.shape[2] % sizeMultiple != 0 || x.shape[3] % sizeMultiple != 0)
        {
            throw new ArgumentException($"{network} needs image sizes divisible by {sizeMultiple}, not {x.shape[2]}x{x.shape[3]}.", nameof(x));
        }

        if (timestep.dim() != 1 || timestep.shape[0] != x.shape[0])
        {
            throw new ArgumentException($"{network} expects one timestep per image (shape [{x.shape[0]}]), not [{string.Join(", ", timestep.shape)}].", nameof(timestep));
        }
    }
}
