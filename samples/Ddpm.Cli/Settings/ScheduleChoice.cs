namespace Ddpm.Cli.Settings;

/// <summary>The beta schedules <c>--schedule</c> offers (<see cref="Ddpm.Core.Schedules.KnownBetaSchedules"/>).</summary>
internal enum ScheduleChoice
{
    /// <summary><c>linear</c>: 1e-4 to 0.02 (the notebook, Ho et al. 2020).</summary>
    Linear,

    /// <summary><c>cosine</c>: Nichol &amp; Dhariwal 2021.</summary>
    Cosine,

    /// <summary><c>quadratic</c>.</summary>
    Quadratic,

    /// <summary><c>sigmoid</c>.</summary>
    Sigmoid,

    /// <summary><c>scaled-linear</c>: Stable Diffusion's 0.00085 to 0.012.</summary>
    ScaledLinear,
}
