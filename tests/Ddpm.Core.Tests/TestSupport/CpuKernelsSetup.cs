using System.Runtime.CompilerServices;
using Ddpm.Core.Kernels;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>
/// Checks and chooses the CPU kernels before any test runs a network, as an application that runs networks
/// outside DdpmTrainer and DdpmSampler should (docs/troubleshooting.md): oneDNN's instruction-set limit
/// works only before its first convolution, and many tests call networks directly.
/// </summary>
internal static class CpuKernelsSetup
{
#pragma warning disable CA2255 // The test assembly is the application here.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ChooseBeforeAnyTest() => CpuKernels.Ensure();
}
