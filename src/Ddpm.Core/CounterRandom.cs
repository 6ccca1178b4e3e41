namespace Ddpm.Core;

/// <summary>
/// A counter-based random source: each value is a pure function of (seed, stream, index), so a
/// shuffle or a flip can be recomputed for any epoch and image without replaying earlier draws
/// (which makes interrupted runs resumable; <see cref="System.Random"/> state cannot be saved).
/// The mixing function is SplitMix64's finaliser.
/// </summary>
internal static class CounterRandom
{
    /// <summary>A 64-bit hash of the three counters.</summary>
    public static ulong Next(ulong seed, ulong stream, ulong index)
    {
        ulong z = Mix(seed + 0x9E3779B97F4A7C15UL);
        z = Mix(z ^ (stream + 0xD1B54A32D192ED03UL));
        return Mix(z ^ (index + 0x8CB92BA72F3D8DD7UL));
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) (Lemire's multiply-shift).</summary>
    public static int NextInt(ulong seed, ulong stream, ulong index, int bound) =>
        (int)(((UInt128)Next(seed, stream, index) * (ulong)bound) >> 64);

    /// <summary>A fair coin.</summary>
    public static bool NextBool(ulong seed, ulong stream, ulong index) => (Next(seed, stream, index) >> 63) != 0;

    /// <summary>A permutation of 0..<paramref name="count"/>-1 (Fisher–Yates) determined by seed and stream.</summary>
    public static int[] Permutation(ulong seed, ulong stream, int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        for (int i = count - 1; i > 0; i--)
        {
            int j = NextInt(seed, stream, (ulong)i, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
