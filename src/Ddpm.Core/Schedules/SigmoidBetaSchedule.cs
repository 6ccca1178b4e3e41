namespace Ddpm.Core.Schedules;

/// <summary>
/// Betas following a logistic curve between β_start and β_end: β_t = σ(-6 + 12 t/(T-1)) · (β_end - β_start) + β_start
/// (the "sigmoid" schedule of GeoDiff, Xu et al. 2022, as diffusers implements it): slow at both ends, fast in the middle.
/// </summary>
public sealed class SigmoidBetaSchedule : IBetaSchedule
{
    /// <summary>Creates a sigmoid schedule.</summary>
    /// <param name="betaStart">The lower asymptote; in (0, 1). The default value is 1e-4.</param>
    /// <param name="betaEnd">The upper asymptote; in [<paramref name="betaStart"/>, 1). The default value is 0.02.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value lies outside its range.</exception>
    public SigmoidBetaSchedule(double betaStart = 1e-4, double betaEnd = 0.02)
    {
        ScheduleGuard.ThrowIfInvalidRange(betaStart, betaEnd);
        BetaStart = betaStart;
        BetaEnd = betaEnd;
    }

    /// <summary>Gets the lower asymptote.</summary>
    public double BetaStart { get; }

    /// <summary>Gets the upper asymptote.</summary>
    public double BetaEnd { get; }

    /// <inheritdoc />
    public string Name => "sigmoid";

    /// <inheritdoc />
    public double[] GetBetas(int timesteps)
    {
        ScheduleGuard.ThrowIfInvalid(timesteps);
        return ScheduleGuard.Linspace(-6, 6, timesteps)
            .Select(x => (1 / (1 + Math.Exp(-x)) * (BetaEnd - BetaStart)) + BetaStart)
            .ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"sigmoid({BetaStart}, {BetaEnd})";
}
