using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ddpm.Core.Imaging;

/// <summary>
/// A 5x7 bitmap font for the few characters plot labels need (digits, a decimal point, signs and the
/// lower-case letters of "step", "loss", "smoothed", "raw"), so pictures need no font files or native
/// drawing library. Unknown characters are drawn as blanks.
/// </summary>
internal static class PixelFont
{
    public const int GlyphWidth = 5;
    public const int GlyphHeight = 7;
    public const int Advance = GlyphWidth + 1;

    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['0'] = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        ['1'] = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['2'] = [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
        ['3'] = ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
        ['4'] = ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
        ['5'] = ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
        ['6'] = [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
        ['7'] = ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
        ['8'] = [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
        ['9'] = [".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."],
        ['.'] = [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
        ['-'] = [".....", ".....", ".....", "#####", ".....", ".....", "....."],
        ['+'] = [".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."],
        ['e'] = [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."],
        ['k'] = ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."],
        ['s'] = [".....", ".....", ".####", "#....", ".###.", "....#", "####."],
        ['t'] = [".#...", ".#...", "####.", ".#...", ".#...", ".#..#", "..##."],
        ['p'] = [".....", ".....", "####.", "#...#", "####.", "#....", "#...."],
        ['l'] = [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['o'] = [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
        ['m'] = [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#...#", "#...#"],
        ['h'] = ["#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"],
        ['d'] = ["....#", "....#", ".##.#", "#..##", "#...#", "#...#", ".####"],
        ['r'] = [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."],
        ['a'] = [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
        ['w'] = [".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."],
        [' '] = [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    };

    /// <summary>Gets the width in pixels of <paramref name="text"/>.</summary>
    public static int Measure(string text) => text.Length == 0 ? 0 : (text.Length * Advance) - 1;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), clipped to the image.</summary>
    public static void Draw(Image<Rgb24> image, string text, int x, int y, Rgb24 colour)
    {
        for (int c = 0; c < text.Length; c++)
        {
            if (!Glyphs.TryGetValue(text[c], out string[]? rows))
            {
                continue;
            }

            for (int row = 0; row < GlyphHeight; row++)
            {
                for (int column = 0; column < GlyphWidth; column++)
                {
                    int px = x + (c * Advance) + column;
                    int py = y + row;
                    if (rows[row][column] == '#' && px >= 0 && py >= 0 && px < image.Width && py < image.Height)
                    {
                        image[px, py] = colour;
                    }
                }
            }
        }
    }
}
