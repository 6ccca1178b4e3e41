using Ddpm.Core.Kernels;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>libtorch's oneDNN and NNPACK switches are found by name here, and the native environment is the one oneDNN reads.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class LibTorchSwitchesTests
{
    [Fact]
    public void The_switches_resolve_in_this_libtorch()
    {
        CpuKernels.Ensure();

        // The names for Windows (MSVC) and macOS are listed too, but only Linux x64 is built and tested here.
        if (OperatingSystem.IsLinux())
        {
            LibTorchSwitches.Unavailable.Should().BeNull("Linux x64 LibTorch 2.10 exports at::globalContext and the two setters under their Itanium names");
        }
    }

    [Fact]
    public void Switching_oneDNN_off_and_back_keeps_the_kernels_right()
    {
        CpuKernelPath before = CpuKernels.Ensure().Path;
        try
        {
            LibTorchSwitches.TrySet(oneDnn: false, nnpack: false).Should().BeTrue();
            CpuKernelCheck.Run().Passed.Should().BeTrue("libtorch's own kernels are right everywhere");
        }
        finally
        {
            // Back to what the path in effect set (through the selector, which knows its switches).
            CpuKernels.Ensure(CpuKernelPath.OneDnnOff);
            CpuKernels.Ensure(before);
        }

        CpuKernelCheck.Run().Passed.Should().BeTrue("the path in effect before is back, and it passed");
    }

    [Fact]
    public void A_variable_set_natively_is_read_back_natively_and_by_dotnet()
    {
        string name = "DDPM_TEST_" + Guid.NewGuid().ToString("N");

        LibTorchSwitches.SetNativeEnvironment(name, "SSE41");

        LibTorchSwitches.GetNativeEnvironment(name).Should().Be("SSE41");
        Environment.GetEnvironmentVariable(name).Should().Be("SSE41");
        LibTorchSwitches.GetNativeEnvironment(name + "_UNSET").Should().BeNull();
    }
}
