using Ddpm.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// Describes a denoising network ε_θ(x_t, t) and creates it: the strategy a trainer uses to build
/// the network it trains. A network takes a batch x_t of shape [B, C, H, W] and int64 timesteps
/// of shape [B] and returns a tensor of the same shape as x_t.
/// </summary>
public interface INetworkConfiguration
{
    /// <summary>Gets a short, stable name of the architecture, for example <c>simple-unet</c>.</summary>
    string Architecture { get; }

    /// <summary>Gets the number of image channels the network takes and returns.</summary>
    int ImageChannels { get; }

    /// <summary>Checks the configuration itself and that it can process images of <paramref name="shape"/>.</summary>
    /// <param name="shape">The shape of one training image.</param>
    /// <exception cref="ArgumentException">The configuration is invalid or cannot process that shape; the message says why and how to fix it.</exception>
    void Validate(ImageShape shape);

    /// <summary>Creates a new network with freshly initialised weights on the CPU.</summary>
    /// <returns>The network; the caller owns it.</returns>
    nn.Module<Tensor, Tensor, Tensor> CreateNetwork();
}
