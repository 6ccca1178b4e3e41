using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>Small, structured image sets a tiny network can learn quickly.</summary>
internal static class SyntheticImages
{
    /// <summary>
    /// [count, channels, size, size] images in [-1, 1]: a bright square of random side and position
    /// on a dark background, deterministic for a seed.
    /// </summary>
    public static Tensor Squares(int count, int channels, int size, int seed = 7)
    {
        var random = new Random(seed);
        var values = new float[count * channels * size * size];
        Array.Fill(values, -1f);
        for (int n = 0; n < count; n++)
        {
            int side = random.Next(size / 4, (size / 2) + 1);
            int top = random.Next(0, size - side + 1);
            int left = random.Next(0, size - side + 1);
            for (int c = 0; c < channels; c++)
            {
                for (int y = top; y < top + side; y++)
                {
                    for (int x = left; x < left + side; x++)
                    {
                        values[(((n * channels) + c) * size * size) + (y * size) + x] = 1f;
                    }
                }
            }
        }

        return tensor(values, [count, channels, size, size]);
    }
}
