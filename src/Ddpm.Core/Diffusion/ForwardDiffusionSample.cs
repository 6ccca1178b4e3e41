using static TorchSharp.torch;

namespace Ddpm.Core.Diffusion;

/// <summary>A sample x_t drawn from q(x_t | x_0) together with the noise ε that produced it.</summary>
/// <param name="NoisySample">x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε.</param>
/// <param name="Noise">The noise ε ~ N(0, I) that was used.</param>
public sealed record ForwardDiffusionSample(Tensor NoisySample, Tensor Noise) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        NoisySample.Dispose();
        Noise.Dispose();
    }
}
