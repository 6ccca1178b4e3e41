namespace Ddpm.Core.Sampling.Methods;

/// <summary>The variance σ_t² of each DDPM reverse step (Ho et al. 2020, §3.2).</summary>
public enum VarianceType
{
    /// <summary>σ_t² = β̃_t, the posterior variance (the notebook; optimal for deterministic x_0).</summary>
    FixedSmall,

    /// <summary>σ_t² = β_t (optimal for x_0 ~ N(0, I)).</summary>
    FixedLarge,
}
