namespace Ddpm.Core.Diffusion;

/// <summary>What the network is trained to predict from (x_t, t).</summary>
public enum PredictionType
{
    /// <summary>The noise ε that was added (Ho et al. 2020), as the notebook does.</summary>
    Epsilon,

    /// <summary>The clean sample x_0 itself.</summary>
    Sample,

    /// <summary>The velocity v = √ᾱ_t ε - √(1-ᾱ_t) x_0 (Salimans &amp; Ho 2022, §4), well defined even where ᾱ_t = 0.</summary>
    Velocity,
}
