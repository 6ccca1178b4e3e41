using Ddpm.Core.Data;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>The input checks every network runs before its forward pass, so a bad shape never reaches native code.</summary>
internal static class NetworkInputs
{
    /// <summary>Checks that a configuration's network can take images of <paramref name="shape"/>, with advice when it cannot.</summary>
    /// <param name="configuration">The configuration's type name, for messages.</param>
    /// <param name="network">The network as messages describe it, for example "UNet with 4 levels".</param>
    /// <param name="shape">The images' shape.</param>
    /// <param name="channels">The channels the network takes.</param>
    /// <param name="sizeMultiple">What the height and width must be divisible by.</param>
    public static void CheckShape(string configuration, string network, ImageShape shape, int channels, int sizeMultiple)
    {
        if (shape.Channels != channels)
        {
            throw new ArgumentException(
                $"The images have {shape.Channels} channel(s) but {configuration}.ImageChannels is {channels}; set ImageChannels to {shape.Channels} or convert the images.", nameof(shape));
        }

        if (shape.Height % sizeMultiple != 0 || shape.Width % sizeMultiple != 0)
        {
            int RoundUp(int size) => (size + sizeMultiple - 1) / sizeMultiple * sizeMultiple;
            throw new ArgumentException(
                $"{network} needs image sizes divisible by {sizeMultiple}, but the images are {shape.Height}x{shape.Width}; resize or pad them (for example to {RoundUp(shape.Height)}x{RoundUp(shape.Width)}).", nameof(shape));
        }
    }

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
