using System.Globalization;
using Ddpm.Core.Diffusion;

namespace Ddpm.Core.Sampling;

/// <summary>The timesteps a sampler visits, from the noisiest down.</summary>
public static class SamplingTimesteps
{
    /// <summary>The ρ of <see cref="TimestepSpacing.Karras"/> (Karras et al. 2022, eq. 5 and Table 1).</summary>
    public const double KarrasRho = 7;

    /// <summary>Chooses <paramref name="steps"/> distinct timesteps of the scheduler's [0, T - 1], in descending order; every spacing, <see cref="TimestepSpacing.Karras"/> included.</summary>
    /// <param name="scheduler">The model's noise scheduler (its T, and its σ for <see cref="TimestepSpacing.Karras"/>).</param>
    /// <param name="steps">The number of sampling steps S; from 1 to T.</param>
    /// <param name="spacing">How they are spaced.</param>
    /// <returns>S timesteps, strictly descending.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument lies outside its range.</exception>
    public static int[] Create(NoiseScheduler scheduler, int steps, TimestepSpacing spacing)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return spacing == TimestepSpacing.Karras ? Karras(scheduler.AlphasCumprodValues, steps) : Create(scheduler.Timesteps, steps, spacing);
    }

    /// <summary>Chooses <paramref name="steps"/> distinct timesteps of [0, <paramref name="timesteps"/> - 1], in descending order, by T alone.</summary>
    /// <param name="timesteps">The number of training timesteps T; at least 1.</param>
    /// <param name="steps">The number of sampling steps S; from 1 to T.</param>
    /// <param name="spacing">How they are spaced: <see cref="TimestepSpacing.Linspace"/>, <see cref="TimestepSpacing.Leading"/> or <see cref="TimestepSpacing.Trailing"/>; <see cref="TimestepSpacing.Karras"/> follows the schedule and needs <see cref="Create(NoiseScheduler, int, TimestepSpacing)"/>.</param>
    /// <returns>S timesteps, strictly descending.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument lies outside its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="spacing"/> is <see cref="TimestepSpacing.Karras"/>.</exception>
    public static int[] Create(int timesteps, int steps, TimestepSpacing spacing)
    {
        CheckSteps(timesteps, steps);
        if (spacing == TimestepSpacing.Karras)
        {
            throw new ArgumentException("Karras spacing follows the schedule's noise levels σ_t, which T alone does not give; call SamplingTimesteps.Create(scheduler, steps, TimestepSpacing.Karras).", nameof(spacing));
        }

        var result = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            // i counts down from the noisiest step.
            int k = steps - 1 - i;
            result[i] = spacing switch
            {
                // In double (Linspace, Trailing) or within bounds (Leading): k · (T - 1) and i · T exceed 2^31 once T · S does.
                TimestepSpacing.Linspace => steps == 1 ? 0 : (int)Math.Round((double)k * (timesteps - 1) / (steps - 1), MidpointRounding.ToEven),
                TimestepSpacing.Leading => k * (timesteps / steps),
                TimestepSpacing.Trailing => (int)Math.Round(timesteps - ((double)i * timesteps / steps), MidpointRounding.ToEven) - 1,
                _ => throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "Use Linspace, Leading or Trailing here, or Karras through Create(scheduler, steps, spacing)."),
            };
        }

        return result;
    }

    /// <summary>
    /// Karras et al. 2022, eq. 5: S noise levels from σ_max to σ_min, evenly spaced in σ^{1/ρ}, each rounded to the
    /// training timestep nearest in log σ; then made strictly descending within [0, T - 1] (at the low-noise end,
    /// neighbouring levels can round to the same timestep).
    /// </summary>
    private static int[] Karras(double[] alphasCumprod, int steps)
    {
        int timesteps = alphasCumprod.Length;
        CheckSteps(timesteps, steps);

        // log σ_t = ½ ln((1-ᾱ_t)/ᾱ_t), increasing in t; +∞ where ᾱ_t = 0 (a zero-terminal-SNR schedule's last step).
        double[] logSigma = alphasCumprod.Select(a => 0.5 * Math.Log((1 - a) / a)).ToArray();
        var result = new int[steps];
        result[0] = timesteps - 1;
        if (steps > 1)
        {
            // σ_max: the highest finite level (sampling starts at T - 1 whatever its σ; only the levels between follow eq. 5).
            double sigmaMax = Math.Exp(logSigma.Where(double.IsFinite).DefaultIfEmpty(logSigma[0]).Max());
            double sigmaMin = Math.Exp(logSigma[0]);
            double top = Math.Pow(sigmaMax, 1 / KarrasRho);
            double bottom = Math.Pow(sigmaMin, 1 / KarrasRho);
            for (int i = 1; i < steps - 1; i++)
            {
                // σ_i = (σ_max^{1/ρ} + i/(S-1) (σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ (eq. 5).
                double sigma = Math.Pow(top + ((double)i / (steps - 1) * (bottom - top)), KarrasRho);
                result[i] = Nearest(logSigma, Math.Log(sigma));
            }

            result[^1] = 0;
        }

        // Strictly descending: lift each step above the one after it, then cap each below the one before it. The first pass
        // leaves result[i] ≥ S-1-i and the second caps it at T-1-i ≥ S-1-i, so both hold within [0, T - 1].
        for (int i = steps - 2; i >= 0; i--)
        {
            result[i] = Math.Max(result[i], result[i + 1] + 1);
        }

        result[0] = Math.Min(result[0], timesteps - 1);
        for (int i = 1; i < steps; i++)
        {
            result[i] = Math.Min(result[i], result[i - 1] - 1);
        }

        return result;
    }

    /// <summary>The timestep whose log σ is nearest to <paramref name="target"/>, by bisection of the increasing log σ.</summary>
    private static int Nearest(double[] logSigma, double target)
    {
        int low = 0;
        int high = logSigma.Length - 1;
        while (high - low > 1)
        {
            int middle = low + ((high - low) / 2);
            if (logSigma[middle] <= target)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return Math.Abs(logSigma[high] - target) < Math.Abs(target - logSigma[low]) ? high : low;
    }

    private static void CheckSteps(int timesteps, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 1);
        if (steps < 1 || steps > timesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"The number of sampling steps must lie in [1, T = {timesteps}].");
        }
    }

    /// <summary>Formats timesteps for logs, shortening long lists.</summary>
    internal static string Describe(int[] steps) => steps.Length <= 8
        ? string.Join(", ", steps.Select(s => s.ToString(CultureInfo.InvariantCulture)))
        : $"{steps[0]}, {steps[1]}, {steps[2]}, ..., {steps[^2]}, {steps[^1]}";
}
