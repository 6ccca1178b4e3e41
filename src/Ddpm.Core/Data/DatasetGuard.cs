namespace Ddpm.Core.Data;

/// <summary>Argument checks shared by the datasets.</summary>
internal static class DatasetGuard
{
    public static void CheckRead(IImageDataset dataset, int index, Span<float> destination)
    {
        if ((uint)index >= (uint)dataset.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must lie in [0, {dataset.Count - 1}].");
        }

        if (destination.Length != dataset.Shape.ElementCount)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} values but one {dataset.Shape} image needs {dataset.Shape.ElementCount}.", nameof(destination));
        }
    }
}
