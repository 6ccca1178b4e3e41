using Ddpm.Core.Kernels;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>What the check must not disturb: the global random state and the live tensor count.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class CpuKernelCheckSideEffectTests
{
    [Fact]
    public void The_check_leaves_the_global_random_state_alone()
    {
        manual_seed(42);
        using Tensor expected = randn(8);
        manual_seed(42);

        CpuKernelCheck.Run(bfloat16: true);

        using Tensor actual = randn(8);
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void The_check_leaves_no_tensor_behind()
    {
        CpuKernelCheck.Run(bfloat16: true);
        long before = LiveTensors.Settle();

        CpuKernelCheck.Run(bfloat16: true);

        Tensor.TotalCount.Should().Be(before);
    }
}
