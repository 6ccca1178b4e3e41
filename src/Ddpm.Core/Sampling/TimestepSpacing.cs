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
}
