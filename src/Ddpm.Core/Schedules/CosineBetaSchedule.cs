namespace Ddpm.Core.Schedules;

/// <summary>
/// The cosine schedule of Nichol &amp; Dhariwal 2021 (eq. 17): ᾱ_t = f(t) / f(0) with
/// f(t) = cos²(((t/T) + s) / (1 + s) · π/2), and β_t = 1 - ᾱ_t / ᾱ_{t-1} clipped to <see cref="MaxBeta"/>.
/// </summary>
public sealed class CosineBetaSchedule : IBetaSchedule
{
    /// <summary>Creates a cosine schedule.</summary>
    /// <param name="offset">The small offset s that keeps β near t = 0 from being too small; in [0, 1). The default value is 0.008.</param>
    /// <param name="maxBeta">The largest β allowed, avoiding a singularity at t = T; in (0, 1). The default value is 0.999.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value lies outside its range.</exception>
    public CosineBetaSchedule(double offset = 0.008, double maxBeta = 0.999)
    {
        if (!(offset >= 0 && offset < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset (s) must lie in [0, 1), for example 0.008.");
        }

        if (!(maxBeta > 0 && maxBeta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(maxBeta), maxBeta, "maxBeta must lie in (0, 1), for example 0.999.");
        }

        Offset = offset;
        MaxBeta = maxBeta;
    }

    /// <summary>Gets the offset s.</summary>
    public double Offset { get; }

    /// <summary>Gets the largest β the schedule returns.</summary>
    public double MaxBeta { get; }

    /// <inheritdoc />
    public string Name => "cosine";

    /// <inheritdoc />
    public double[] GetBetas(int timesteps)
    {
        ScheduleGuard.ThrowIfInvalid(timesteps);
        var betas = new double[timesteps];
        double previous = AlphaBar(0, timesteps);
        for (int i = 0; i < timesteps; i++)
        {
            double current = AlphaBar(i + 1, timesteps);
            betas[i] = Math.Min(1 - (current / previous), MaxBeta);
            previous = current;
        }

        return betas;
    }

    /// <inheritdoc />
    public override string ToString() => $"cosine(s = {Offset}, max β = {MaxBeta})";

    // f(t) of eq. 17, unnormalised: the ratio ᾱ_t / ᾱ_{t-1} does not need f(0).
    private double AlphaBar(int t, int timesteps)
    {
        double angle = (((double)t / timesteps) + Offset) / (1 + Offset) * Math.PI / 2;
        double cos = Math.Cos(angle);
        return cos * cos;
    }
}
