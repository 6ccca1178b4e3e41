namespace Ddpm.Core.Data;

/// <summary>
/// A fixed collection of images of one shape, each read as float values in [-1, 1] in
/// channel-first (C, H, W) order. Implement it to train on your own data; the library's
/// implementations are <see cref="InMemoryImageDataset"/>, <see cref="ImageFolderDataset"/>
/// and <see cref="IdxImageDataset"/>.
/// </summary>
/// <remarks>
/// Reads must be deterministic (the same index gives the same values) and safe to call from
/// several threads at once. Random augmentation such as horizontal flips is applied by the
/// trainer, keyed by seed, epoch and index, so runs are reproducible whatever the data source.
/// </remarks>
public interface IImageDataset
{
    /// <summary>Gets the number of images.</summary>
    int Count { get; }

    /// <summary>Gets the shape every image has.</summary>
    ImageShape Shape { get; }

    /// <summary>Writes image <paramref name="index"/> into <paramref name="destination"/> as C·H·W values in [-1, 1].</summary>
    /// <param name="index">The image index, in [0, <see cref="Count"/>).</param>
    /// <param name="destination">A span of exactly <see cref="ImageShape.ElementCount"/> values.</param>
    void CopyImage(int index, Span<float> destination);
}
