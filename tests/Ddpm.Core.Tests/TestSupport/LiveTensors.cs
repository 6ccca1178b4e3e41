using static TorchSharp.torch;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>The process-wide live-tensor count, for leak tests in <see cref="TensorLeakCollection"/>.</summary>
internal static class LiveTensors
{
    /// <summary>
    /// Lets tensors that earlier code dropped without disposing be finalised now, not mid-measurement,
    /// and returns the live count.
    /// </summary>
    public static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}
