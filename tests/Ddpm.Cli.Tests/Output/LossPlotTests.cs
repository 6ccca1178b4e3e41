using Ddpm.Cli.Output;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Cli.Tests.Output;

public sealed class LossPlotTests
{
    private static readonly Rgb24 Blue = LossPlot.SmoothedColour;

    [Fact]
    public void A_falling_loss_is_drawn_from_top_left_to_bottom_right()
    {
        float[] losses = Enumerable.Range(0, 500).Select(i => (float)(0.8 * Math.Exp(-i / 100.0) + 0.05)).ToArray();

        using Image<Rgb24> plot = LossPlot.Create(losses, width: 400, height: 200);

        plot.Width.Should().Be(400);
        plot.Height.Should().Be(200);
        (int X, int Y)[] blue = Pixels(plot, Blue);
        blue.Should().NotBeEmpty("the smoothed curve is blue");
        double leftHeight = blue.Where(p => p.X < 120).Average(p => p.Y);
        double rightHeight = blue.Where(p => p.X > 300).Average(p => p.Y);
        rightHeight.Should().BeGreaterThan(leftHeight + 50, "a falling loss ends lower in the picture (larger y)");
    }

    [Fact]
    public void Non_finite_losses_are_left_out_and_an_all_NaN_history_is_rejected()
    {
        float[] someNaN = [0.5f, float.NaN, 0.4f, float.PositiveInfinity, 0.3f];

        using Image<Rgb24> plot = LossPlot.Create(someNaN);
        var allNaN = () => LossPlot.Create([float.NaN, float.NaN]);
        var empty = () => LossPlot.Create([]);
        var tooSmall = () => LossPlot.Create([1f], width: 10);

        Pixels(plot, Blue).Should().NotBeEmpty();
        allNaN.Should().Throw<ArgumentException>().WithMessage("*no finite value*");
        empty.Should().Throw<ArgumentException>();
        tooSmall.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("width");
    }

    [Fact]
    public void The_axes_are_labelled_with_text()
    {
        LossPlot.HasFonts.Should().BeTrue("the suite runs where fonts are installed (.ci/run installs fonts-dejavu-core)");

        using Image<Rgb24> plot = LossPlot.Create([0.9f, 0.5f, 0.3f]);

        // The y axis is the leftmost column that is dark for most of the height; left of it, past its tick marks,
        // lie the tick labels and the axis title, which exist only if text was drawn.
        static bool Dark(Rgb24 p) => p.R + p.G + p.B < 300;
        int axis = Enumerable.Range(0, plot.Width).First(x => Enumerable.Range(0, plot.Height).Count(y => Dark(plot[x, y])) > plot.Height / 2);
        int text = 0;
        for (int y = 0; y < plot.Height; y++)
        {
            for (int x = 0; x < axis - 8; x++)
            {
                text += Dark(plot[x, y]) ? 1 : 0;
            }
        }

        text.Should().BeGreaterThan(100, "the loss axis has a title and tick labels");
    }

    [Fact]
    public void SavePng_writes_a_readable_png()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loss-{Guid.NewGuid():N}", "loss.png");
        try
        {
            LossPlot.SavePng([0.9f, 0.5f, 0.3f], path, firstStep: 10);

            using Image image = Image.Load(path);
            image.Width.Should().Be(800);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    private static (int X, int Y)[] Pixels(Image<Rgb24> image, Rgb24 colour)
    {
        var found = new List<(int, int)>();
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                // Lines are anti-aliased: a pixel of the line is within a few levels of its colour.
                Rgb24 pixel = image[x, y];
                if (Math.Abs(pixel.R - colour.R) + Math.Abs(pixel.G - colour.G) + Math.Abs(pixel.B - colour.B) <= 24)
                {
                    found.Add((x, y));
                }
            }
        }

        return [.. found];
    }
}
