namespace Ddpm.Benchmarks;

/// <summary>One line of a <see cref="LineChart"/>: a name for the legend and one value per x label.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<double> Values);

/// <summary>
/// A line chart drawn with ScottPlot: evenly spaced, labelled x positions (for example batch sizes), a y axis
/// from 0, one line with markers per series and a legend.
/// </summary>
internal static class LineChart
{
    public static void Save(string path, string title, string xTitle, IReadOnlyList<string> xLabels, IReadOnlyList<ChartSeries> series)
    {
        using var plot = new ScottPlot.Plot();
        double[] xs = Enumerable.Range(0, xLabels.Count).Select(i => (double)i).ToArray();
        foreach (ChartSeries line in series)
        {
            var scatter = plot.Add.Scatter(xs, line.Values.ToArray());
            scatter.LegendText = line.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, [.. xLabels]);
        double top = series.SelectMany(s => s.Values).DefaultIfEmpty(1).Max() * 1.1;
        plot.Axes.SetLimits(-0.3, Math.Max(1, xLabels.Count - 1) + 0.3, 0, top > 0 ? top : 1);
        plot.Title(title);
        plot.XLabel(xTitle);
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 760, 380);
        Console.WriteLine($"Wrote {path}");
    }
}
