using Ddpm.Cli.Output;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Cli.Tests.Output;

public sealed class PixelFontTests
{
    private static readonly Rgb24 Ink = new(0, 0, 0);

    [Fact]
    public void Every_lower_case_letter_digit_and_label_punctuation_leaves_ink()
    {
        foreach (char glyph in "abcdefghijklmnopqrstuvwxyz0123456789.-+,:/()")
        {
            InkOf(glyph.ToString()).Should().BeGreaterThan(0, $"'{glyph}' must have a glyph");
        }
    }

    [Fact]
    public void Upper_case_is_drawn_as_lower_case_and_unknown_characters_as_blanks()
    {
        Pixels("Ddpm.Core").Should().Equal(Pixels("ddpm.core"));
        InkOf("#").Should().Be(0);
        InkOf(" ").Should().Be(0);
    }

    private static int InkOf(string text) => Pixels(text).Count(p => p);

    private static bool[] Pixels(string text)
    {
        using var image = new Image<Rgb24>(PixelFont.Measure(text) + 2, PixelFont.GlyphHeight + 2, new Rgb24(255, 255, 255));
        PixelFont.Draw(image, text, 1, 1, Ink);
        var pixels = new bool[image.Width * image.Height];
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                pixels[(y * image.Width) + x] = image[x, y].Equals(Ink);
            }
        }

        return pixels;
    }
}
