namespace Ddpm.Core.Data;

/// <summary>The shape of one image in channel-first order, as the networks take it: [C, H, W].</summary>
/// <param name="Channels">The number of channels: 1 (grayscale) or 3 (RGB) for pictures.</param>
/// <param name="Height">The height in pixels.</param>
/// <param name="Width">The width in pixels.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Gets the number of values in one image: C · H · W.</summary>
    public int ElementCount => Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
