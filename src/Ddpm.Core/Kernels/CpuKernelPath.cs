namespace Ddpm.Core.Kernels;

/// <summary>
/// Which CPU kernels libtorch runs convolutions with. LibTorch 2.10's oneDNN computes some float32
/// convolutions wrongly on CPUs that hide their cache topology from CPUID (seen on AMD Zen 5 cloud
/// VMs), so <see cref="CpuKernels"/> checks the kernels numerically and picks the fastest path that
/// passes (docs/troubleshooting.md).
/// </summary>
public enum CpuKernelPath
{
    /// <summary>
    /// Choose automatically: the <c>DDPM_CPU_KERNELS</c> environment variable when it is set, else
    /// oneDNN at the CPU's full instruction set, or limited to SSE4.1 where the CPU hides its cache
    /// topology; whichever is tried is checked, and <see cref="OneDnnOff"/> is the fallback.
    /// </summary>
    Auto,

    /// <summary>oneDNN at the CPU's full instruction set (AVX-512 or AMX where present): libtorch's default and the fastest.</summary>
    OneDnn,

    /// <summary>
    /// oneDNN limited to AVX (<c>ONEDNN_MAX_CPU_ISA=AVX</c>): its GEMM-based convolutions. Faster than
    /// <see cref="OneDnnSse41"/>, but on the Zen 5 VMs measured it still miscomputes some shapes (odd
    /// batches with 12, 20 or 36 input channels), so it is never chosen automatically. Takes effect
    /// only before oneDNN's first convolution in the process.
    /// </summary>
    OneDnnAvx,

    /// <summary>
    /// oneDNN limited to SSE4.1 (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>): the fastest path found correct on CPUs
    /// that hide their cache topology, where it is the automatic choice. Takes effect only before oneDNN's
    /// first convolution in the process.
    /// </summary>
    OneDnnSse41,

    /// <summary>oneDNN and NNPACK switched off (PyTorch's <c>torch.backends.mkldnn.enabled = False</c>): libtorch's own im2col and GEMM kernels. Slowest, independent of oneDNN.</summary>
    OneDnnOff,
}
