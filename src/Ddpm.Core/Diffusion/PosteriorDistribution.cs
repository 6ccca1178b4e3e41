using static TorchSharp.torch;

namespace Ddpm.Core.Diffusion;

/// <summary>The Gaussian posterior q(x_{t-1} | x_t, x_0) = N(<see cref="Mean"/>, <see cref="Variance"/> I) (Ho et al. 2020, eq. 6).</summary>
/// <param name="Mean">μ̃_t(x_t, x_0), shaped like the samples.</param>
/// <param name="Variance">β̃_t per sample, shape [B, 1, 1, ...].</param>
/// <param name="LogVariance">log β̃_t per sample (clipped at t = 0), shape [B, 1, 1, ...].</param>
public sealed record PosteriorDistribution(Tensor Mean, Tensor Variance, Tensor LogVariance) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Mean.Dispose();
        Variance.Dispose();
        LogVariance.Dispose();
    }
}
