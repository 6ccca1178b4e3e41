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
}
