namespace Ddpm.Core.Sampling;

/// <summary>How S sampling timesteps are chosen from the T training timesteps (Lin et al. 2024, Table 2).</summary>
public enum TimestepSpacing
{
    /// <summary>round(linspace(0, T-1, S)): includes both T-1 and 0.</summary>
    Linspace,

    /// <summary>0, k, 2k, ..., (S-1)k with k = ⌊T/S⌋: ends at 0 but may start well below T-1 (diffusers' DDIM default).</summary>
    Leading,

    /// <summary>round(T - i·T/S) - 1 for i = 0..S-1: starts at T-1, the pure-noise level, and ends at ⌈T/S⌉ - 1 or so.</summary>
    Trailing,

    /// <summary>
    /// Karras et al. 2022, eq. 5, with ρ = 7: σ_i = (σ_max^{1/ρ} + i/(S-1) (σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ between the
    /// schedule's σ_max = σ_{T-1} and σ_min = σ_0 (σ_t = √((1-ᾱ_t)/ᾱ_t)), each rounded to the training timestep nearest in
    /// log σ, so the network only sees timesteps it was trained on; starts at T-1, ends at 0, and crowds the steps
    /// towards low noise. Follows the schedule, so it needs <see cref="SamplingTimesteps.Create(Diffusion.NoiseScheduler, int, TimestepSpacing)"/>.
    /// </summary>
    Karras,
}
