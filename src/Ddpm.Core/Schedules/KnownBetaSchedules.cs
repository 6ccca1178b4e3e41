namespace Ddpm.Core.Schedules;

/// <summary>
/// Ready-made beta schedules, shared and immutable (in the manner of ImageSharp's <c>KnownResamplers</c>).
/// </summary>
public static class KnownBetaSchedules
{
    /// <summary>Gets the linear schedule from 1e-4 to 0.02 of Ho et al. 2020 and the notebook.</summary>
    public static IBetaSchedule Linear { get; } = new LinearBetaSchedule();

    /// <summary>Gets the cosine schedule of Nichol &amp; Dhariwal 2021 with s = 0.008 and β clipped at 0.999.</summary>
    public static IBetaSchedule Cosine { get; } = new CosineBetaSchedule();

    /// <summary>Gets the quadratic schedule from 1e-4 to 0.02 (the original DDPM code's "quad").</summary>
    public static IBetaSchedule Quadratic { get; } = new QuadraticBetaSchedule();

    /// <summary>Gets the scaled-linear schedule of latent diffusion, 0.00085 to 0.012 (diffusers' "scaled_linear": the quadratic formula).</summary>
    public static IBetaSchedule ScaledLinear { get; } = new QuadraticBetaSchedule(0.00085, 0.012, "scaled-linear");

    /// <summary>Gets the sigmoid schedule from 1e-4 to 0.02.</summary>
    public static IBetaSchedule Sigmoid { get; } = new SigmoidBetaSchedule();
}
