namespace Ddpm.Core.Sampling;

/// <summary>The reverse process a sampler follows.</summary>
public enum SamplingMethod
{
    /// <summary>Ancestral sampling from the posterior q(x_{t-1} | x_t, x̂_0) (Ho et al. 2020, Algorithm 2); with fewer steps than T, the posterior between the chosen timesteps.</summary>
    Ddpm,

    /// <summary>DDIM (Song et al. 2021, eq. 12): deterministic with <see cref="DdpmSamplerOptions.Eta"/> = 0, DDPM-like with η = 1; good images in far fewer steps.</summary>
    Ddim,
}
