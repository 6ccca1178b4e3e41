namespace Ddpm.Core.Schedules;

/// <summary>
/// Rescales another schedule so that the signal-to-noise ratio at the last step is exactly zero
/// (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1):
/// √ᾱ is shifted so that √ᾱ_{T-1} = 0 and scaled so that √ᾱ_0 is unchanged. The last beta becomes 1,
/// so x_{T-1} is pure noise, as sampling assumes. Train such models to predict v or x_0: with ᾱ_{T-1} = 0
/// a noise prediction says nothing about the image at the first sampling step.
/// </summary>
public sealed class ZeroTerminalSnrSchedule : IBetaSchedule
{
    /// <summary>Wraps a schedule.</summary>
    /// <param name="inner">The schedule to rescale, for example <see cref="KnownBetaSchedules.Linear"/>.</param>
    public ZeroTerminalSnrSchedule(IBetaSchedule inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>Gets the schedule that is rescaled.</summary>
    public IBetaSchedule Inner { get; }

    /// <inheritdoc />
    public string Name => $"{Inner.Name}+zero-terminal-snr";

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timesteps"/> is less than 2 (rescaling needs a first and a last step).</exception>
    public double[] GetBetas(int timesteps)
    {
        if (timesteps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(timesteps), timesteps, "Zero-terminal-SNR rescaling needs at least 2 timesteps.");
        }

        double[] betas = Inner.GetBetas(timesteps);
        var sqrtAlphaBar = new double[timesteps];
        double product = 1;
        for (int t = 0; t < timesteps; t++)
        {
            product *= 1 - betas[t];
            sqrtAlphaBar[t] = Math.Sqrt(product);
        }

        double first = sqrtAlphaBar[0];
        double last = sqrtAlphaBar[^1];
        var rescaled = new double[timesteps];
        double previous = 1;
        for (int t = 0; t < timesteps; t++)
        {
            double scaled = (sqrtAlphaBar[t] - last) * first / (first - last);
            double alphaBar = scaled * scaled;
            rescaled[t] = t == timesteps - 1 ? 1 : 1 - (alphaBar / previous);
            previous = alphaBar;
        }

        return rescaled;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Inner} rescaled to zero terminal SNR";
}
