namespace Ddpm.Core.Kernels;

/// <summary>What <see cref="CpuKernelSelector"/> needs from libtorch: apply a path, and check the kernels in effect. Tests supply a fake.</summary>
internal interface ICpuKernelBackend
{
    /// <summary>Gets whether the CPU reads its cache-topology CPUID leaf as zeros (see <see cref="CpuTopology"/>).</summary>
    bool CacheTopologyHidden { get; }

    /// <summary>Gets the CPU, for messages.</summary>
    string CpuDescription { get; }

    /// <summary>Gets the CPU's native bfloat16 instructions (e.g. <c>AVX-512 BF16</c>), or null where it has none.</summary>
    string? BFloat16Instructions { get; }

    /// <summary>Gets the <c>ONEDNN_MAX_CPU_ISA</c> the process was started with, or null.</summary>
    string? IsaLimitFromEnvironment { get; }

    /// <summary>Puts <paramref name="path"/> into effect; returns null, or why it cannot be used in this process.</summary>
    string? TryApply(CpuKernelPath path);

    /// <summary>Runs the numerical check on the kernels in effect.</summary>
    CpuKernelCheckResult Check(bool bfloat16);
}
