namespace Ddpm.Cli.Settings;

/// <summary>The samplers <c>--sampler</c> offers.</summary>
internal enum SamplerChoice
{
    /// <summary><c>ddpm</c>: ancestral sampling through every timestep (the notebook).</summary>
    Ddpm,

    /// <summary><c>ddim</c>: DDIM (Song et al. 2021) in fewer steps.</summary>
    Ddim,
}
