using Ddpm.Core.Kernels;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>
/// A libtorch stand-in for <see cref="CpuKernelSelector"/>: the paths named faulty run the real check
/// with a faulty convolution, the others with libtorch's own, so the selection logic is tested on any machine.
/// </summary>
internal sealed class FakeKernelBackend : ICpuKernelBackend
{
    public HashSet<CpuKernelPath> Faulty { get; init; } = [];

    public HashSet<CpuKernelPath> FaultyInBFloat16 { get; init; } = [];

    public Dictionary<CpuKernelPath, string> Unusable { get; init; } = [];

    public HashSet<CpuKernelPath> Throwing { get; init; } = [];

    public bool CacheTopologyHidden { get; init; }

    public string CpuDescription => "TestVendor family 99 model 1";

    public string? BFloat16Instructions { get; init; }

    public string? IsaLimitFromEnvironment { get; init; }

    public CpuKernelPath? Applied { get; private set; }

    public List<(CpuKernelPath Path, bool BFloat16)> Checks { get; } = [];

    public string? TryApply(CpuKernelPath path)
    {
        if (Unusable.TryGetValue(path, out string? reason))
        {
            return reason;
        }

        Applied = path;
        return null;
    }

    public CpuKernelCheckResult Check(bool bfloat16)
    {
        CpuKernelPath path = Applied ?? throw new InvalidOperationException("Checked before any path was applied.");
        Checks.Add((path, bfloat16));
        if (Throwing.Contains(path))
        {
            throw new System.Runtime.InteropServices.ExternalException("could not create a primitive\nException raised from ...");
        }

        KernelFunctions functions = Faulty.Contains(path) ? FaultyKernels.WrongForwardForOddChannels
            : FaultyInBFloat16.Contains(path) ? FaultyKernels.WrongBFloat16
            : KernelFunctions.LibTorch;
        return CpuKernelCheck.Run(bfloat16, functions);
    }
}
