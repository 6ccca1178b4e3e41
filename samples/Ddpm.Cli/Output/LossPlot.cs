using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Cli.Output;

/// <summary>
/// Draws a training loss curve (for example <see cref="Ddpm.Core.DdpmModel.LossHistory"/>): every step's loss as
/// a grey band (each pixel column spans the minimum to the maximum of its steps) and the smoothed
/// loss as a blue line, over labelled step and loss axes. Needs no font files or native libraries.
/// </summary>
internal static class LossPlot
{
    private const int Left = 52;
    private const int Right = 16;
    private const int Top = 22;
    private const int Bottom = 26;
    private static readonly Rgb24 Background = new(255, 255, 255);
    private static readonly Rgb24 Grid = new(228, 228, 228);
    private static readonly Rgb24 Axis = new(60, 60, 60);
    private static readonly Rgb24 Raw = new(180, 180, 180);
    private static readonly Rgb24 Smoothed = new(31, 100, 200);

    /// <summary>Draws the curve.</summary>
    /// <param name="losses">The loss of each step, in order; at least one finite value. Non-finite values are left out.</param>
    /// <param name="width">The picture's width in pixels. The default value is 800. Valid values: 200 to 8192.</param>
    /// <param name="height">The picture's height in pixels. The default value is 400. Valid values: 120 to 8192.</param>
    /// <param name="smoothing">The weight on the past of the exponential moving average (bias-corrected, as <see cref="Ddpm.Core.Training.TrainingProgress.SmoothedLoss"/>). The default value is 0.98. Valid values: [0, 1).</param>
    /// <param name="firstStep">The step number of the first loss. The default value is 1. Valid values: at least 0.</param>
    /// <returns>A new image the caller owns.</returns>
    /// <exception cref="ArgumentException">An argument is out of range, or no loss is finite.</exception>
    public static Image<Rgb24> Create(IReadOnlyList<float> losses, int width = 800, int height = 400, double smoothing = 0.98, long firstStep = 1)
    {
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 8192);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 120);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 8192);
        ArgumentOutOfRangeException.ThrowIfNegative(firstStep);
        if (!(smoothing >= 0 && smoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "smoothing must lie in [0, 1).");
        }

        double[] smoothed = Smooth(losses, smoothing);
        double[] finite = losses.Where(float.IsFinite).Select(v => (double)v).Order().ToArray();
        if (finite.Length == 0)
        {
            throw new ArgumentException("The loss history holds no finite value to plot.", nameof(losses));
        }

        // The axis covers the smoothed curve and 98% of the raw losses, so one early spike does not flatten the rest.
        double top = NiceCeiling(Math.Max(smoothed.Where(double.IsFinite).DefaultIfEmpty(0).Max(), finite[(int)(0.98 * (finite.Length - 1))]) * 1.05);
        var image = new Image<Rgb24>(width, height, Background);
        int plotWidth = width - Left - Right;
        int plotHeight = height - Top - Bottom;
        int Y(double loss) => Top + plotHeight - (int)Math.Round(Math.Clamp(loss / top, 0, 1) * plotHeight);
        int X(int index) => Left + (losses.Count == 1 ? 0 : (int)Math.Round((double)index / (losses.Count - 1) * plotWidth));

        DrawAxes(image, top, plotWidth, plotHeight, losses.Count, firstStep);

        // Raw losses: per pixel column, the range of the steps it covers.
        for (int column = 0; column <= plotWidth; column++)
        {
            int from = (int)((long)column * losses.Count / (plotWidth + 1));
            int to = Math.Max(from + 1, (int)((long)(column + 1) * losses.Count / (plotWidth + 1)));
            float low = float.PositiveInfinity;
            float high = float.NegativeInfinity;
            for (int i = from; i < Math.Min(to, losses.Count); i++)
            {
                if (float.IsFinite(losses[i]))
                {
                    low = Math.Min(low, losses[i]);
                    high = Math.Max(high, losses[i]);
                }
            }

            if (float.IsFinite(low))
            {
                VerticalLine(image, Left + column, Y(high), Y(low), Raw);
            }
        }

        // Smoothed loss: a 2-pixel line through consecutive points.
        for (int i = 1; i < smoothed.Length; i++)
        {
            if (double.IsFinite(smoothed[i - 1]) && double.IsFinite(smoothed[i]))
            {
                Line(image, X(i - 1), Y(smoothed[i - 1]), X(i), Y(smoothed[i]), Smoothed);
                Line(image, X(i - 1), Y(smoothed[i - 1]) - 1, X(i), Y(smoothed[i]) - 1, Smoothed);
            }
        }

        // Legend, top right.
        int legend = width - Right - PixelFont.Measure("raw  smoothed") - 24;
        HorizontalLine(image, legend, legend + 8, 8, Raw);
        PixelFont.Draw(image, "raw", legend + 11, 5, Axis);
        int second = legend + 11 + PixelFont.Measure("raw") + 10;
        HorizontalLine(image, second, second + 8, 8, Smoothed);
        HorizontalLine(image, second, second + 8, 7, Smoothed);
        PixelFont.Draw(image, "smoothed", second + 11, 5, Axis);
        return image;
    }

    /// <summary>Draws the curve and saves it as a PNG, creating the folder if needed.</summary>
    /// <param name="losses">The loss of each step, in order.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="firstStep">The step number of the first loss. The default value is 1.</param>
    public static void SavePng(IReadOnlyList<float> losses, string path, long firstStep = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using Image<Rgb24> image = Create(losses, firstStep: firstStep);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        image.SaveAsPng(path);
    }

    /// <summary>The bias-corrected exponential moving average; non-finite losses keep the previous value.</summary>
    private static double[] Smooth(IReadOnlyList<float> losses, double beta)
    {
        var result = new double[losses.Count];
        double average = 0;
        double weight = 0;
        for (int i = 0; i < losses.Count; i++)
        {
            if (float.IsFinite(losses[i]))
            {
                average = (beta * average) + ((1 - beta) * losses[i]);
                weight = (beta * weight) + (1 - beta);
            }

            result[i] = weight > 0 ? average / weight : double.NaN;
        }

        return result;
    }

    private static void DrawAxes(Image<Rgb24> image, double top, int plotWidth, int plotHeight, int count, long firstStep)
    {
        const int Ticks = 5;
        for (int k = 0; k <= Ticks; k++)
        {
            int y = Top + plotHeight - (k * plotHeight / Ticks);
            HorizontalLine(image, Left, Left + plotWidth, y, k == 0 ? Axis : Grid);
            string label = (top * k / Ticks).ToString("0.###", CultureInfo.InvariantCulture);
            PixelFont.Draw(image, label, Left - 6 - PixelFont.Measure(label), y - 3, Axis);
        }

        VerticalLine(image, Left, Top, Top + plotHeight, Axis);
        long lastStep = firstStep + count - 1;
        double stepSize = NiceCeiling(Math.Max(1, lastStep - firstStep) / 5.0);
        for (double step = Math.Ceiling(firstStep / stepSize) * stepSize; step <= lastStep; step += stepSize)
        {
            int x = Left + (count == 1 ? 0 : (int)Math.Round((step - firstStep) / (count - 1) * plotWidth));
            VerticalLine(image, x, Top + plotHeight, Top + plotHeight + 3, Axis);
            string label = step.ToString("0", CultureInfo.InvariantCulture);
            PixelFont.Draw(image, label, x - (PixelFont.Measure(label) / 2), Top + plotHeight + 6, Axis);
        }

        PixelFont.Draw(image, "loss", 4, 5, Axis);
        PixelFont.Draw(image, "step", Left + plotWidth - PixelFont.Measure("step"), Top + plotHeight + 16, Axis);
    }

    /// <summary>The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (!(value > 0))
        {
            return 1;
        }

        double power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double multiple in (double[])[1, 2, 2.5, 5, 10])
        {
            if (multiple * power >= value * (1 - 1e-12))
            {
                return multiple * power;
            }
        }

        return 10 * power;
    }

    private static void HorizontalLine(Image<Rgb24> image, int x0, int x1, int y, Rgb24 colour)
    {
        for (int x = Math.Max(0, x0); x <= Math.Min(image.Width - 1, x1); x++)
        {
            if (y >= 0 && y < image.Height)
            {
                image[x, y] = colour;
            }
        }
    }

    private static void VerticalLine(Image<Rgb24> image, int x, int y0, int y1, Rgb24 colour)
    {
        for (int y = Math.Max(0, Math.Min(y0, y1)); y <= Math.Min(image.Height - 1, Math.Max(y0, y1)); y++)
        {
            if (x >= 0 && x < image.Width)
            {
                image[x, y] = colour;
            }
        }
    }

    /// <summary>Bresenham's line from (x0, y0) to (x1, y1), clipped to the image.</summary>
    private static void Line(Image<Rgb24> image, int x0, int y0, int x1, int y1, Rgb24 colour)
    {
        int dx = Math.Abs(x1 - x0);
        int dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1;
        int sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        while (true)
        {
            if (x0 >= 0 && y0 >= 0 && x0 < image.Width && y0 < image.Height)
            {
                image[x0, y0] = colour;
            }

            if (x0 == x1 && y0 == y1)
            {
                return;
            }

            int twice = 2 * error;
            if (twice >= dy)
            {
                error += dy;
                x0 += sx;
            }

            if (twice <= dx)
            {
                error += dx;
                y0 += sy;
            }
        }
    }
}
