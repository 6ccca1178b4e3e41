using System.Globalization;
using Ddpm.Cli.Output;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Benchmarks;

/// <summary>One line of a <see cref="LineChart"/>: a name for the legend and one value per x label.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<double> Values);

/// <summary>
/// A small line chart drawn with ImageSharp and the library's pixel font: evenly spaced x labels (for
/// example batch sizes), a y axis from 0 with four grid lines, one coloured line per series and a legend.
/// </summary>
internal static class LineChart
{
    private const int Width = 640;
    private const int Height = 340;
    private const int Left = 56;
    private const int Right = 200;
    private const int Top = 28;
    private const int Bottom = 40;

    private static readonly Rgb24[] Colours =
    [
        new(220, 90, 30), new(31, 100, 200), new(40, 160, 70), new(150, 60, 180),
    ];

    public static void Save(string path, string title, string xTitle, IReadOnlyList<string> xLabels, IReadOnlyList<ChartSeries> series)
    {
        using var image = new Image<Rgb24>(Width, Height, new Rgb24(255, 255, 255));
        var ink = new Rgb24(60, 60, 60);
        int plotWidth = Width - Left - Right;
        int plotHeight = Height - Top - Bottom;
        double top = NiceCeiling(series.SelectMany(s => s.Values).Max());
        PixelFont.Draw(image, title, Left, 8, ink);
        for (int k = 0; k <= 4; k++)
        {
            int y = Top + plotHeight - (k * plotHeight / 4);
            for (int x = Left; x <= Left + plotWidth; x++)
            {
                image[x, y] = k == 0 ? ink : new Rgb24(228, 228, 228);
            }

            string label = (top * k / 4).ToString(top >= 40 ? "0" : "0.#", CultureInfo.InvariantCulture);
            PixelFont.Draw(image, label, Left - 6 - PixelFont.Measure(label), y - 3, ink);
        }

        for (int y = Top; y <= Top + plotHeight; y++)
        {
            image[Left, y] = ink;
        }

        int X(int i) => xLabels.Count == 1 ? Left + (plotWidth / 2) : Left + 12 + (i * (plotWidth - 24) / (xLabels.Count - 1));
        for (int i = 0; i < xLabels.Count; i++)
        {
            PixelFont.Draw(image, xLabels[i], X(i) - (PixelFont.Measure(xLabels[i]) / 2), Top + plotHeight + 6, ink);
        }

        PixelFont.Draw(image, xTitle, Left + (plotWidth / 2) - (PixelFont.Measure(xTitle) / 2), Top + plotHeight + 22, ink);
        for (int s = 0; s < series.Count; s++)
        {
            Rgb24 colour = Colours[s % Colours.Length];
            int Y(int i) => Top + plotHeight - (int)Math.Round(series[s].Values[i] / top * plotHeight);
            for (int i = 0; i < xLabels.Count; i++)
            {
                // A 5x5 marker at each point, then the segment to the next one.
                for (int dx = -2; dx <= 2; dx++)
                {
                    for (int dy = -2; dy <= 2; dy++)
                    {
                        image[X(i) + dx, Y(i) + dy] = colour;
                    }
                }

                if (i + 1 < xLabels.Count)
                {
                    Segment(image, X(i), Y(i), X(i + 1), Y(i + 1), colour);
                }
            }

            int legendY = Top + 8 + (s * 16);
            for (int x = Width - Right + 14; x < Width - Right + 30; x++)
            {
                image[x, legendY] = colour;
                image[x, legendY + 1] = colour;
            }

            PixelFont.Draw(image, series[s].Name, Width - Right + 36, legendY - 3, ink);
        }

        image.SaveAsPng(path);
        Console.WriteLine($"Wrote {path}");
    }

    /// <summary>The smallest of 1, 2, 2.5 or 5 times a power of ten at or above 1.1x the largest value.</summary>
    private static double NiceCeiling(double largest)
    {
        double target = Math.Max(largest * 1.1, 1e-9);
        double power = Math.Pow(10, Math.Floor(Math.Log10(target)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * power).First(v => v >= target);
    }

    private static void Segment(Image<Rgb24> image, int x0, int y0, int x1, int y1, Rgb24 colour)
    {
        int steps = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0));
        for (int k = 0; k <= steps; k++)
        {
            int x = x0 + (int)Math.Round((double)k * (x1 - x0) / Math.Max(steps, 1));
            int y = y0 + (int)Math.Round((double)k * (y1 - y0) / Math.Max(steps, 1));
            image[x, y] = colour;
            image[x, y + 1] = colour;
        }
    }
}
