namespace Ddpm.Core.Data;

/// <summary>Argument checks shared by the datasets.</summary>
internal static class DatasetGuard
{
    /// <summary>Reads a [N] integer label tensor, checking its length and range.</summary>
    public static int[] ReadLabels(TorchSharp.torch.Tensor labels, int count, int? classCount)
    {
        if (labels.dim() != 1 || labels.shape[0] != count || labels.is_floating_point())
        {
            throw new ArgumentException($"The labels must be an integer tensor of shape [{count}], one per image, not {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
        }

        using var scope = TorchSharp.torch.NewDisposeScope();
        int[] values = labels.to(TorchSharp.torch.ScalarType.Int32).cpu().data<int>().ToArray();
        int limit = classCount ?? int.MaxValue;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] >= limit)
            {
                throw new ArgumentException($"Image {i} has the label {values[i]}; labels must lie in [0, {(classCount is null ? "∞" : (classCount - 1).ToString())}].", nameof(labels));
            }
        }

        return values;
    }

    /// <summary>Class names "0", "1", ... up to the largest label, for labels that come without names.</summary>
    public static string[] NumberedClassNames(int[] labels) =>
        Enumerable.Range(0, labels.Max() + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The label of one image, or an error saying the dataset has none.</summary>
    public static int Label(int[]? labels, int index)
    {
        if (labels is null)
        {
            throw new InvalidOperationException("This dataset has no class labels (ClassCount is 0).");
        }

        if ((uint)index >= (uint)labels.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must lie in [0, {labels.Length - 1}].");
        }

        return labels[index];
    }

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
