namespace Ddpm.Core.Kernels;

/// <summary>
/// Applies kernel paths to the libtorch in this process. oneDNN reads <c>ONEDNN_MAX_CPU_ISA</c> once,
/// at its first convolution, and keeps that limit until the process ends, so an instruction-set limit
/// can be set only before oneDNN has run; switching oneDNN off and on works at any time.
/// </summary>
internal sealed class LibTorchCpuBackend : ICpuKernelBackend
{
    /// <summary>oneDNN's environment variable for its instruction-set limit.</summary>
    public const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    private string? _isaSet;
    private bool _oneDnnRan;
    private (bool OneDnn, bool Nnpack) _switches = (true, true);

    public LibTorchCpuBackend()
    {
        IsaLimitFromEnvironment = LibTorchSwitches.GetNativeEnvironment(IsaVariable) is { Length: > 0 } isa ? isa : null;
    }

    public bool CacheTopologyHidden => CpuTopology.CacheTopologyHidden;

    public string CpuDescription => CpuTopology.Description;

    public string? BFloat16Instructions => CpuTopology.BFloat16Instructions;

    public string? IsaLimitFromEnvironment { get; }

    public string? TryApply(CpuKernelPath path)
    {
        switch (path)
        {
            case CpuKernelPath.OneDnn:
                if (_isaSet is not null && _oneDnnRan)
                {
                    return $"oneDNN has run limited to {_isaSet} in this process and keeps that limit until the process ends";
                }

                if (_isaSet is not null)
                {
                    LibTorchSwitches.SetNativeEnvironment(IsaVariable, "ALL");
                    _isaSet = null;
                }

                return Switch(oneDnn: true, nnpack: true);

            case CpuKernelPath.OneDnnAvx or CpuKernelPath.OneDnnSse41:
                string limit = path == CpuKernelPath.OneDnnAvx ? "AVX" : "SSE41";
                if (IsaLimitFromEnvironment is not null)
                {
                    return string.Equals(IsaLimitFromEnvironment, limit, StringComparison.OrdinalIgnoreCase)
                        ? Switch(oneDnn: true, nnpack: false)
                        : $"the process was started with {IsaVariable}={IsaLimitFromEnvironment}, which oneDNN obeys instead";
                }

                if (_oneDnnRan && _isaSet != limit)
                {
                    return $"oneDNN has already run in this process without that limit, and reads it only before its first convolution; start the process with {CpuKernels.EnvironmentVariable}={CpuKernels.Name(path)}";
                }

                LibTorchSwitches.SetNativeEnvironment(IsaVariable, limit);
                _isaSet = limit;
                return Switch(oneDnn: true, nnpack: false);

            case CpuKernelPath.OneDnnOff:
                return Switch(oneDnn: false, nnpack: false);

            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, "Auto is resolved by the selector.");
        }
    }

    public CpuKernelCheckResult Check(bool bfloat16)
    {
        // Set first: even a check that throws may have run oneDNN, which fixes its instruction set.
        _oneDnnRan |= _switches.OneDnn;
        return CpuKernelCheck.Run(bfloat16);
    }

    /// <summary>
    /// Sets libtorch's oneDNN and NNPACK switches. NNPACK is switched off wherever it cannot start on this CPU
    /// (whatever the path), because libtorch would otherwise print "Could not initialize NNPACK" at every
    /// convolution it would have taken; the instruction-set-limited paths and oneDNN off never use it.
    /// </summary>
    private string? Switch(bool oneDnn, bool nnpack)
    {
        nnpack &= LibTorchSwitches.NnpackAvailable != false;
        if (_switches == (oneDnn, nnpack))
        {
            return null;
        }

        if (!LibTorchSwitches.TrySet(oneDnn, nnpack))
        {
            // Without the switches libtorch keeps its defaults: oneDNN paths still work, with NNPACK's warnings.
            return oneDnn ? null : LibTorchSwitches.Unavailable;
        }

        _switches = (oneDnn, nnpack);
        return null;
    }
}
