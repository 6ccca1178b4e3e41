namespace Ddpm.Core.Schedules;

/// <summary>
/// A variance schedule β₁..β_T for the forward diffusion process q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I)
/// (Ho et al. 2020, eq. 2). Implementations are immutable strategy objects; the catalogue of
/// ready-made ones is <see cref="KnownBetaSchedules"/>.
/// </summary>
public interface IBetaSchedule
{
    /// <summary>Gets a short, stable name for logs and checkpoints, for example <c>linear</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Computes the betas for <paramref name="timesteps"/> diffusion steps, in double precision.
    /// Element <c>i</c> is β for the zero-based timestep <c>t = i</c>.
    /// </summary>
    /// <param name="timesteps">The number of diffusion steps T; must be at least 1.</param>
    /// <returns>
    /// A new array of length <paramref name="timesteps"/> with every value in (0, 1]. A β of 1 makes ᾱ 0 from that
    /// step on (x_t is pure noise); schedules use it only for the last step, for zero terminal SNR
    /// (<see cref="ZeroTerminalSnrSchedule"/>), which the trainer accepts only with velocity or sample prediction.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timesteps"/> is less than 1.</exception>
    double[] GetBetas(int timesteps);
}
