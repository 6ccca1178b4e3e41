using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

internal static class TensorExtensions
{
    /// <summary>True when both tensors have the same shape and every element is exactly equal (TorchSharp's <c>equal</c> is element-wise).</summary>
    public static bool IsIdenticalTo(this Tensor actual, Tensor expected)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
        {
            return false;
        }

        using Tensor same = actual.eq(expected).all();
        return same.item<bool>();
    }
}
