namespace Ddpm.Core.Schedules;

/// <summary>Argument checks shared by the schedules.</summary>
internal static class ScheduleGuard
{
    public static void ThrowIfInvalid(int timesteps)
    {
        if (timesteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(timesteps), timesteps, "The number of diffusion timesteps T must be at least 1 (the notebook uses 300, Ho et al. 1000).");
        }
    }

    public static void ThrowIfInvalidRange(double betaStart, double betaEnd)
    {
        if (!(betaStart > 0 && betaStart < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(betaStart), betaStart, "betaStart must lie in (0, 1), for example 1e-4.");
        }

        if (!(betaEnd >= betaStart && betaEnd < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(betaEnd), betaEnd, $"betaEnd must lie in [betaStart = {betaStart}, 1), for example 0.02.");
        }
    }

    /// <summary><paramref name="count"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/> inclusive.</summary>
    public static double[] Linspace(double start, double end, int count)
    {
        var values = new double[count];
        double step = count == 1 ? 0 : (end - start) / (count - 1);
        for (int i = 0; i < count; i++)
        {
            values[i] = start + (i * step);
        }

        return values;
    }
}
