namespace Ddpm.Core.Schedules;

/// <summary>
/// Betas whose square roots are evenly spaced: β_t = (√β_start + t/(T-1) · (√β_end - √β_start))².
/// The original DDPM code calls this "quad" (1e-4 to 0.02); diffusers calls the same formula
/// "scaled_linear" and uses it with 0.00085 to 0.012 for latent diffusion
/// (<see cref="KnownBetaSchedules.ScaledLinear"/>).
/// </summary>
public sealed class QuadraticBetaSchedule : IBetaSchedule
{
    /// <summary>Creates a quadratic schedule.</summary>
    /// <param name="betaStart">β for t = 0; in (0, 1). The default value is 1e-4.</param>
    /// <param name="betaEnd">β for t = T-1; in [<paramref name="betaStart"/>, 1). The default value is 0.02.</param>
    /// <param name="name">The name reported by <see cref="Name"/>. The default value is <c>quadratic</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value lies outside its range.</exception>
    public QuadraticBetaSchedule(double betaStart = 1e-4, double betaEnd = 0.02, string name = "quadratic")
    {
        ScheduleGuard.ThrowIfInvalidRange(betaStart, betaEnd);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        BetaStart = betaStart;
        BetaEnd = betaEnd;
        Name = name;
    }

    /// <summary>Gets β for the first timestep.</summary>
    public double BetaStart { get; }

    /// <summary>Gets β for the last timestep.</summary>
    public double BetaEnd { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public double[] GetBetas(int timesteps)
    {
        ScheduleGuard.ThrowIfInvalid(timesteps);
        double[] roots = ScheduleGuard.Linspace(Math.Sqrt(BetaStart), Math.Sqrt(BetaEnd), timesteps);
        return roots.Select(r => r * r).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}({BetaStart}, {BetaEnd})";
}
