namespace Ddpm.Core.Schedules;

/// <summary>
/// Betas spaced evenly from <see cref="BetaStart"/> to <see cref="BetaEnd"/> (Ho et al. 2020, §4:
/// 1e-4 to 0.02; the notebook uses the same values with T = 300).
/// </summary>
public sealed class LinearBetaSchedule : IBetaSchedule
{
    /// <summary>Creates a linear schedule.</summary>
    /// <param name="betaStart">β for t = 0; in (0, 1). The default value is 1e-4.</param>
    /// <param name="betaEnd">β for t = T-1; in [<paramref name="betaStart"/>, 1). The default value is 0.02.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value lies outside its range.</exception>
    public LinearBetaSchedule(double betaStart = 1e-4, double betaEnd = 0.02)
    {
        ScheduleGuard.ThrowIfInvalidRange(betaStart, betaEnd);
        BetaStart = betaStart;
        BetaEnd = betaEnd;
    }

    /// <summary>Gets β for the first timestep.</summary>
    public double BetaStart { get; }

    /// <summary>Gets β for the last timestep.</summary>
    public double BetaEnd { get; }

    /// <inheritdoc />
    public string Name => "linear";

    /// <inheritdoc />
    public double[] GetBetas(int timesteps)
    {
        ScheduleGuard.ThrowIfInvalid(timesteps);
        return ScheduleGuard.Linspace(BetaStart, BetaEnd, timesteps);
    }

    /// <inheritdoc />
    public override string ToString() => $"linear({BetaStart}, {BetaEnd})";
}
