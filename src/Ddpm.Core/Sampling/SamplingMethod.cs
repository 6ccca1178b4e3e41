namespace Ddpm.Core.Sampling;

/// <summary>The reverse process a sampler follows.</summary>
public enum SamplingMethod
{
    /// <summary>Ancestral sampling from the posterior q(x_{t-1} | x_t, x̂_0) (Ho et al. 2020, Algorithm 2); with fewer steps than T, the posterior between the chosen timesteps.</summary>
    Ddpm,

    /// <summary>DDIM (Song et al. 2021, eq. 12): deterministic with <see cref="DdpmSamplerOptions.Eta"/> = 0, DDPM-like with η = 1; good images in far fewer steps.</summary>
    Ddim,

    /// <summary>DPM-Solver++(2M) (Lu et al. 2022): multistep, second order, data prediction; DDIM-50 quality in 10-20 steps (<see cref="Methods.DpmSolverPlusPlus2MMethod"/>).</summary>
    DpmSolverPlusPlus2M,

    /// <summary>Euler on the probability-flow ODE in σ (Karras et al. 2022); first order, deterministic (<see cref="Methods.EulerMethod"/>).</summary>
    Euler,

    /// <summary>Euler ancestral: Euler steps with fresh noise, η = <see cref="DdpmSamplerOptions.Eta"/> when set above 0, else 1 (<see cref="Methods.EulerAncestralMethod"/>).</summary>
    EulerAncestral,

    /// <summary>Heun's second-order method (Karras et al. 2022); two network calls per step (<see cref="Methods.HeunMethod"/>).</summary>
    Heun,
}
