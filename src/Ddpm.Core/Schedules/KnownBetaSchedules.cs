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
}
