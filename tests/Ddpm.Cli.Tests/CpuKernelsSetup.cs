using System.Runtime.CompilerServices;
using Ddpm.Core.Kernels;

namespace Ddpm.Cli.Tests;

/// <summary>Chooses and checks the CPU kernels before any test runs a network (oneDNN can be limited only before its first convolution).</summary>
internal static class CpuKernelsSetup
{
#pragma warning disable CA2255 // The test assembly is the application here.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ChooseBeforeAnyTest() => CpuKernels.Ensure();
}
