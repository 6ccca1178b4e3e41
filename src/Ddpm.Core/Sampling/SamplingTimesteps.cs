using System.Globalization;

namespace Ddpm.Core.Sampling;

/// <summary>The timesteps a sampler visits, from the noisiest down.</summary>
public static class SamplingTimesteps
{
    /// <summary>Chooses <paramref name="steps"/> distinct timesteps of [0, <paramref name="timesteps"/> - 1], in descending order.</summary>
    /// <param name="timesteps">The number of training timesteps T; at least 1.</param>
    /// <param name="steps">The number of sampling steps S; from 1 to T.</param>
    /// <param name="spacing">How they are spaced.</param>
    /// <returns>S timesteps, strictly descending.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument lies outside its range.</exception>
    public static int[] Create(int timesteps, int steps, TimestepSpacing spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 1);
        if (steps < 1 || steps > timesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"The number of sampling steps must lie in [1, T = {timesteps}].");
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
                _ => throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "Use Linspace, Leading or Trailing."),
            };
        }

        return result;
    }

    /// <summary>Formats timesteps for logs, shortening long lists.</summary>
    internal static string Describe(int[] steps) => steps.Length <= 8
        ? string.Join(", ", steps.Select(s => s.ToString(CultureInfo.InvariantCulture)))
        : $"{steps[0]}, {steps[1]}, {steps[2]}, ..., {steps[^2]}, {steps[^1]}";
}
