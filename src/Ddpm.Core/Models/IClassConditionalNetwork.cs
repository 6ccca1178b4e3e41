using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// A network that can also be told which class to denoise towards. Label <see cref="ClassCount"/>
/// (one past the last class) is the "no class" token: the unconditional prediction that
/// classifier-free guidance contrasts with the conditional one (Ho &amp; Salimans 2022).
/// </summary>
public interface IClassConditionalNetwork
{
    /// <summary>Gets the number of classes; 0 for a network built without class conditioning.</summary>
    int ClassCount { get; }

    /// <summary>Predicts from x_t, t and a class label per image.</summary>
    /// <param name="x">Noisy images, shape [B, C, H, W].</param>
    /// <param name="timestep">Timesteps, shape [B].</param>
    /// <param name="classLabels">int64 labels, shape [B], each in [0, <see cref="ClassCount"/>]; <see cref="ClassCount"/> means unconditional.</param>
    /// <returns>A tensor of shape [B, C, H, W].</returns>
    Tensor Forward(Tensor x, Tensor timestep, Tensor classLabels);
}
