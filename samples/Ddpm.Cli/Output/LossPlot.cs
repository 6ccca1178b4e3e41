using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Cli.Output;

/// <summary>
/// Draws a training loss curve (for example <see cref="Ddpm.Core.DdpmModel.LossHistory"/>) with ScottPlot: every
/// step's loss as a grey band (each of up to 1,000 buckets spans the minimum to the maximum of its steps) and
/// the smoothed loss as a blue line, over labelled step and loss axes.
/// </summary>
internal static class LossPlot
{
    /// <summary>The colour of the smoothed loss.</summary>
    public static readonly Rgb24 SmoothedColour = new(31, 100, 200);

    private const int MaxBuckets = 1000;

    /// <summary>
    /// Whether the chart library finds a font that can draw digits on this machine. Without one, charts are drawn
    /// without their labels (a minimal Linux image has no fonts; on Debian, <c>apt-get install fonts-dejavu-core</c>).
    /// </summary>
    public static bool HasFonts
    {
        get
        {
            // Without fonts, Skia's default typeface is an empty stand-in with no glyphs.
            using SkiaSharp.SKTypeface typeface = SkiaSharp.SKTypeface.Default;
            return typeface.GlyphCount > 0;
        }
    }

    /// <summary>The advice printed where charts would lose their labels.</summary>
    public const string NoFontsAdvice = "no fonts were found, so charts are drawn without labels; install one (on Debian: apt-get install fonts-dejavu-core)";

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
        using ScottPlot.Plot plot = Build(losses, width, height, smoothing, firstStep);
        return Image.Load<Rgb24>(plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));
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

    private static ScottPlot.Plot Build(IReadOnlyList<float> losses, int width, int height, double smoothing, long firstStep)
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

        double[] finite = losses.Where(float.IsFinite).Select(v => (double)v).Order().ToArray();
        if (finite.Length == 0)
        {
            throw new ArgumentException("The loss history holds no finite value to plot.", nameof(losses));
        }

        double[] smoothed = Smooth(losses, smoothing);
        var plot = new ScottPlot.Plot();
        (double[] steps, double[] low, double[] high) = Buckets(losses, firstStep);
        var raw = plot.Add.FillY(steps, low, high);
        raw.FillColor = ScottPlot.Color.FromARGB(0xFFB4B4B4);
        // Its edges in the same grey: a bucket of one step, whose range is a point, still shows.
        raw.LineColor = raw.FillColor;
        raw.LineWidth = 1;
        raw.LegendText = "raw";

        // The smoothed loss is undefined only before the first finite loss.
        int start = Array.FindIndex(smoothed, double.IsFinite);
        double[] xs = Enumerable.Range(start, losses.Count - start).Select(i => (double)(firstStep + i)).ToArray();
        var line = plot.Add.ScatterLine(xs, smoothed[start..]);
        line.Color = new ScottPlot.Color(SmoothedColour.R, SmoothedColour.G, SmoothedColour.B);
        line.LineWidth = 2;
        line.LegendText = "smoothed";

        // The y axis covers the smoothed curve and 98% of the raw losses, so one early spike does not flatten the rest.
        double top = Math.Max(smoothed.Where(double.IsFinite).DefaultIfEmpty(0).Max(), finite[(int)(0.98 * (finite.Length - 1))]) * 1.05;
        plot.Axes.SetLimits(firstStep, firstStep + Math.Max(1, losses.Count - 1), 0, top > 0 ? top : 1);
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot;
    }

    /// <summary>At most <see cref="MaxBuckets"/> runs of consecutive steps, each drawn as its minimum-to-maximum range.</summary>
    private static (double[] Steps, double[] Low, double[] High) Buckets(IReadOnlyList<float> losses, long firstStep)
    {
        int buckets = Math.Min(MaxBuckets, losses.Count);
        var steps = new List<double>(buckets);
        var low = new List<double>(buckets);
        var high = new List<double>(buckets);
        for (int b = 0; b < buckets; b++)
        {
            int from = (int)((long)b * losses.Count / buckets);
            int to = (int)((long)(b + 1) * losses.Count / buckets);
            float min = float.PositiveInfinity;
            float max = float.NegativeInfinity;
            for (int i = from; i < to; i++)
            {
                if (float.IsFinite(losses[i]))
                {
                    min = Math.Min(min, losses[i]);
                    max = Math.Max(max, losses[i]);
                }
            }

            if (float.IsFinite(min))
            {
                steps.Add(firstStep + ((from + to - 1) / 2.0));
                low.Add(min);
                high.Add(max);
            }
        }

        return ([.. steps], [.. low], [.. high]);
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
}
