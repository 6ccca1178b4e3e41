using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ddpm.Core.Kernels;

/// <summary>
/// Makes sure the CPU kernels compute correctly before anything trains or samples on the CPU.
/// LibTorch 2.10's oneDNN computes some float32 convolutions wrongly on CPUs that hide their cache
/// topology (AMD Zen 5 cloud VMs). <see cref="Ensure"/> runs <see cref="CpuKernelCheck"/> before the
/// first CPU work and, where the kernels it would use fail (or are known to fail), takes the fastest
/// path that passes and logs one warning naming the cause and the choice; if none passes, it refuses. <see cref="Training.DdpmTrainer"/>
/// and <see cref="Sampling.DdpmSampler"/> call it before their first CPU step, so applications need
/// not; call it yourself to choose a path or to report on a machine (<c>ddpm doctor</c> does).
/// </summary>
public static class CpuKernels
{
    /// <summary>
    /// The environment variable that forces a path for the whole process when the options ask for
    /// <see cref="CpuKernelPath.Auto"/>: <c>auto</c>, <c>onednn</c>, <c>onednn-avx</c>, <c>onednn-sse41</c>
    /// or <c>onednn-off</c>.
    /// </summary>
    public const string EnvironmentVariable = "DDPM_CPU_KERNELS";

    private static readonly (CpuKernelPath Path, string Name, string Description)[] Names =
    [
        (CpuKernelPath.Auto, "auto", "automatic choice"),
        (CpuKernelPath.OneDnn, "onednn", "oneDNN at the full instruction set"),
        (CpuKernelPath.OneDnnAvx, "onednn-avx", "oneDNN limited to AVX"),
        (CpuKernelPath.OneDnnSse41, "onednn-sse41", "oneDNN limited to SSE4.1"),
        (CpuKernelPath.OneDnnOff, "onednn-off", "oneDNN off (libtorch's own kernels)"),
    ];

    private static readonly Lazy<CpuKernelSelector> Selector = new(() =>
    {
        // Loads TorchSharp's native libraries, which the backend's switches live in.
        _ = TorchSharp.torch.get_num_threads();
        return new CpuKernelSelector(new LibTorchCpuBackend(), () => Environment.GetEnvironmentVariable(EnvironmentVariable));
    });

    /// <summary>Gets the CPU as CPUID names it, e.g. <c>AuthenticAMD family 26 model 2</c> (the architecture on non-x86 CPUs).</summary>
    public static string Cpu => CpuTopology.Description;

    /// <summary>Gets whether the CPU reads its cache-topology CPUID leaf as zeros, the condition under which LibTorch 2.10's oneDNN miscomputes; <see cref="Ensure"/> then starts from <see cref="CpuKernelPath.OneDnnSse41"/>.</summary>
    public static bool CacheTopologyHidden => CpuTopology.CacheTopologyHidden;

    /// <summary>
    /// Gets the CPU's native bfloat16 instructions, <c>AVX-512 BF16</c> (AMD Zen 4 and later, Intel Cooper Lake and
    /// Sapphire Rapids), <c>AMX-BF16</c> or both, or null where it has none; there bfloat16 training is emulated and
    /// slower than float32.
    /// </summary>
    public static string? BFloat16Instructions => CpuTopology.BFloat16Instructions;

    /// <summary>Gets the path in effect and its check, or null before <see cref="Ensure"/> has run in this process.</summary>
    public static CpuKernelSelection? Current => Selector.IsValueCreated ? Selector.Value.Current : null;

    /// <summary>
    /// Chooses and checks the CPU kernel path. The first call decides; later calls with
    /// <see cref="CpuKernelPath.Auto"/> return the same selection (adding the bfloat16 cases the first time
    /// they are asked for), and a call naming another path switches to it if it passes (otherwise the
    /// path that passed before is put back). Concurrent calls are serialised, but switching changes
    /// process-wide libtorch settings: choose the path before CPU work starts on other threads.
    /// </summary>
    /// <param name="path">
    /// The path to use; <see cref="CpuKernelPath.Auto"/> (the default) reads <see cref="EnvironmentVariable"/>
    /// and otherwise chooses. A forced path is checked too. Limiting oneDNN's instruction set works only
    /// before oneDNN's first convolution in the process, so call this early if you force one.
    /// </param>
    /// <param name="bfloat16">Also check the bfloat16 kernels, for <see cref="Training.TrainingPrecision.BFloat16"/> training.</param>
    /// <param name="logger">Receives one line naming the path: information when oneDNN runs at full speed or a path was asked for, a warning naming the cause when the automatic choice is slower; null logs nothing.</param>
    /// <returns>The path in effect, why, and the check it passed.</returns>
    /// <exception cref="CpuKernelCheckException">No usable path passes the check, a forced path fails it or cannot be used, or the bfloat16 kernels fail.</exception>
    /// <exception cref="ArgumentException"><see cref="EnvironmentVariable"/> holds an unknown name, or <paramref name="path"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">The C library refused to set <c>ONEDNN_MAX_CPU_ISA</c> in the process environment.</exception>
    public static CpuKernelSelection Ensure(CpuKernelPath path = CpuKernelPath.Auto, bool bfloat16 = false, ILogger? logger = null)
    {
        if (!Enum.IsDefined(path))
        {
            throw new ArgumentException($"The CPU kernel path is {(int)path}, which is not a CpuKernelPath; use Auto, OneDnn, OneDnnAvx, OneDnnSse41 or OneDnnOff.", nameof(path));
        }

        return Selector.Value.Ensure(path, bfloat16, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Says whether bfloat16 training would be both fast and right on this CPU (see <see cref="Training.TrainingPrecisionChoice"/>):
    /// chooses the path as <see cref="Ensure"/> does, then runs the bfloat16 cases where the CPU and path have native
    /// bfloat16. A failed bfloat16 check is an answer (false, with the reason), not an exception.
    /// </summary>
    internal static (bool Recommended, string Reason) AssessBFloat16(CpuKernelPath path, ILogger? logger) =>
        Selector.Value.AssessBFloat16(path, logger ?? NullLogger.Instance);

    /// <summary>Reads a path's command-line and environment name: <c>auto</c>, <c>onednn</c>, <c>onednn-avx</c>, <c>onednn-sse41</c> or <c>onednn-off</c> (any case).</summary>
    /// <param name="text">The name.</param>
    /// <param name="path">The path named, or <see cref="CpuKernelPath.Auto"/> when the name is unknown.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? text, out CpuKernelPath path)
    {
        foreach (var (candidate, name, _) in Names)
        {
            if (string.Equals(text?.Trim(), name, StringComparison.OrdinalIgnoreCase))
            {
                path = candidate;
                return true;
            }
        }

        path = CpuKernelPath.Auto;
        return false;
    }

    /// <summary>Gets a path's command-line and environment name, e.g. <c>onednn-avx</c>.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The name.</returns>
    public static string Name(CpuKernelPath path) => Names.First(n => n.Path == path).Name;

    /// <summary>Gets a path's description in words, e.g. <c>oneDNN limited to AVX</c>.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The description.</returns>
    public static string Describe(CpuKernelPath path) => Names.First(n => n.Path == path).Description;
}
