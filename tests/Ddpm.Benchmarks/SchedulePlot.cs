using Ddpm.Cli.Output;
using Ddpm.Core.Schedules;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Benchmarks;

/// <summary>Draws ᾱ_t against t for each known beta schedule (docs/images/schedules.png, used by docs/concepts.md).</summary>
internal static class SchedulePlot
{
    private const int Width = 640;
    private const int Height = 320;
    private const int Left = 40;
    private const int Right = 150;
    private const int Top = 16;
    private const int Bottom = 26;

    public static int Run(string output, int timesteps)
    {
        (string Name, IBetaSchedule Schedule, Rgb24 Colour)[] curves =
        [
            ("linear", KnownBetaSchedules.Linear, new Rgb24(31, 100, 200)),
            ("cosine", KnownBetaSchedules.Cosine, new Rgb24(220, 90, 30)),
            ("quadratic", KnownBetaSchedules.Quadratic, new Rgb24(40, 160, 70)),
            ("sigmoid", KnownBetaSchedules.Sigmoid, new Rgb24(150, 60, 180)),
            ("scaled-linear", KnownBetaSchedules.ScaledLinear, new Rgb24(120, 120, 120)),
        ];
        using var image = new Image<Rgb24>(Width, Height, new Rgb24(255, 255, 255));
        var axis = new Rgb24(60, 60, 60);
        int plotWidth = Width - Left - Right;
        int plotHeight = Height - Top - Bottom;
        for (int k = 0; k <= 4; k++)
        {
            int y = Top + plotHeight - (k * plotHeight / 4);
            for (int x = Left; x <= Left + plotWidth; x++)
            {
                image[x, y] = k == 0 ? axis : new Rgb24(228, 228, 228);
            }

            string label = (k / 4.0).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
            PixelFont.Draw(image, label, Left - 6 - PixelFont.Measure(label), y - 3, axis);
        }

        for (int y = Top; y <= Top + plotHeight; y++)
        {
            image[Left, y] = axis;
        }

        foreach (int step in new[] { 0, timesteps / 2, timesteps - 1 })
        {
            string label = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
            int x = Left + (step * plotWidth / (timesteps - 1));
            PixelFont.Draw(image, label, x - (PixelFont.Measure(label) / 2), Top + plotHeight + 6, axis);
        }

        for (int c = 0; c < curves.Length; c++)
        {
            double[] betas = curves[c].Schedule.GetBetas(timesteps);
            double product = 1;
            int? previousY = null;
            for (int t = 0; t < timesteps; t++)
            {
                product *= 1 - betas[t];
                int x = Left + (t * plotWidth / (timesteps - 1));
                int y = Top + plotHeight - (int)Math.Round(product * plotHeight);
                for (int fill = Math.Min(y, previousY ?? y); fill <= Math.Max(y, previousY ?? y); fill++)
                {
                    image[x, fill] = curves[c].Colour;
                    image[Math.Min(Width - 1, x + 1), fill] = curves[c].Colour;
                }

                previousY = y;
            }

            int legendY = Top + 8 + (c * 14);
            for (int x = Width - Right + 14; x < Width - Right + 30; x++)
            {
                image[x, legendY] = curves[c].Colour;
                image[x, legendY + 1] = curves[c].Colour;
            }

            PixelFont.Draw(image, curves[c].Name, Width - Right + 36, legendY - 3, axis);
        }

        image.SaveAsPng(output);
        Console.WriteLine($"Wrote {output}: alpha-bar against t for {curves.Length} schedules, T = {timesteps}");
        return 0;
    }
}
