using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Ddpm.Core.Kernels;

/// <summary>
/// What CPUID tells oneDNN about the caches. oneDNN sizes its convolution blocking from the cache
/// sizes that its CPU detector (Xbyak) reads from CPUID; on AMD that is leaf 0x8000001D. Cloud VMs
/// may read that leaf as all zeros (seen on AMD EPYC Zen 5, family 26), and LibTorch 2.10's oneDNN
/// then computes some float32 convolutions wrongly at AVX2 and AVX-512 and corrupts memory.
/// </summary>
internal static class CpuTopology
{
    private const uint AmdCacheTopologyLeaf = 0x8000001D;

    /// <summary>Gets whether this CPU hides the cache topology oneDNN relies on: an AMD CPU that lists leaf 0x8000001D but reads it as zeros.</summary>
    public static bool CacheTopologyHidden { get; } = DetectHiddenCacheTopology();

    /// <summary>
    /// Gets the CPU's native bfloat16 instructions as oneDNN uses them, <c>AVX-512 BF16</c>, <c>AMX-BF16</c> or both,
    /// or null where the CPU has none (or the operating system has not enabled AVX-512).
    /// </summary>
    public static string? BFloat16Instructions { get; } = DetectBFloat16();

    /// <summary>Gets the CPU vendor and family, e.g. <c>AuthenticAMD family 26 model 2</c>, or the architecture where CPUID does not exist.</summary>
    public static string Description { get; } = Describe();

    private static bool DetectHiddenCacheTopology()
    {
        if (!X86Base.IsSupported || Vendor() != "AuthenticAMD")
        {
            return false;
        }

        (int maxExtended, _, _, _) = X86Base.CpuId(unchecked((int)0x80000000), 0);
        if (unchecked((uint)maxExtended) < AmdCacheTopologyLeaf)
        {
            return false;
        }

        // Sub-leaf 0 is the L1 data cache; a cache type of 0 means "no cache", which no real CPU has.
        (int eax, _, _, _) = X86Base.CpuId(unchecked((int)AmdCacheTopologyLeaf), 0);
        return (eax & 0x1F) == 0;
    }

    private static string? DetectBFloat16()
    {
        // Avx512F.IsSupported includes the operating system's consent (XCR0); without it no bfloat16 kernel runs.
        if (!X86Base.IsSupported || !Avx512F.IsSupported)
        {
            return null;
        }

        (int maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7)
        {
            return null;
        }

        // Leaf 7 sub-leaf 1 EAX bit 5: AVX512_BF16. Leaf 7 sub-leaf 0 EDX bit 22: AMX-BF16.
        (_, _, _, int features) = X86Base.CpuId(7, 0);
        (int extended, _, _, _) = X86Base.CpuId(7, 1);
        bool avx512 = (extended & (1 << 5)) != 0;
        bool amx = (features & (1 << 22)) != 0;
        return (avx512, amx) switch
        {
            (true, true) => "AVX-512 BF16 and AMX-BF16",
            (true, false) => "AVX-512 BF16",
            (false, true) => "AMX-BF16",
            _ => null,
        };
    }

    private static string Describe()
    {
        if (!X86Base.IsSupported)
        {
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }

        (int signature, _, _, _) = X86Base.CpuId(1, 0);
        int family = (signature >> 8) & 0xF;
        int model = (signature >> 4) & 0xF;
        if (family == 0xF)
        {
            family += (signature >> 20) & 0xFF;
        }

        if (family is 0x6 or >= 0xF)
        {
            model += ((signature >> 16) & 0xF) << 4;
        }

        return $"{Vendor()} family {family} model {model}";
    }

    private static string Vendor()
    {
        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }
}
