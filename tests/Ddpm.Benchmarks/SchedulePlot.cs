using Ddpm.Core.Schedules;

namespace Ddpm.Benchmarks;

/// <summary>Draws ᾱ_t against t for each known beta schedule (docs/images/schedules.png, used by docs/concepts.md).</summary>
internal static class SchedulePlot
{
    public static int Run(string output, int timesteps)
    {
        (string Name, IBetaSchedule Schedule)[] curves =
        [
            ("linear", KnownBetaSchedules.Linear),
            ("cosine", KnownBetaSchedules.Cosine),
            ("quadratic", KnownBetaSchedules.Quadratic),
            ("sigmoid", KnownBetaSchedules.Sigmoid),
            ("scaled-linear", KnownBetaSchedules.ScaledLinear),
        ];
        using var plot = new ScottPlot.Plot();
        double[] steps = Enumerable.Range(0, timesteps).Select(t => (double)t).ToArray();
        foreach ((string name, IBetaSchedule schedule) in curves)
        {
            // ᾱ_t = ∏_{s ≤ t} (1 − β_s) (Ho et al. 2020, below eq. 4).
            double[] betas = schedule.GetBetas(timesteps);
            var alphaBar = new double[timesteps];
            double product = 1;
            for (int t = 0; t < timesteps; t++)
            {
                product *= 1 - betas[t];
                alphaBar[t] = product;
            }

            var line = plot.Add.ScatterLine(steps, alphaBar);
            line.LegendText = name;
            line.LineWidth = 2;
        }

        plot.Axes.SetLimits(0, timesteps - 1, 0, 1.02);
        plot.XLabel("t");
        plot.YLabel("ᾱ_t");
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(output, 640, 320);
        Console.WriteLine($"Wrote {output}: alpha-bar against t for {curves.Length} schedules, T = {timesteps}");
        return 0;
    }
}
