using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Ddpm.Core.Kernels;

/// <summary>
/// Chooses, applies and checks the CPU kernel path once per process (<see cref="CpuKernels.Ensure"/>).
/// Automatic choice: oneDNN at the full instruction set, or limited to SSE4.1 where the CPU hides its cache
/// topology (running the wrong kernels even once can corrupt memory, and oneDNN cannot be limited after
/// its first convolution); if that path fails the check, oneDNN off. A forced path is checked too, and
/// refused if it fails.
/// </summary>
internal sealed class CpuKernelSelector(ICpuKernelBackend backend, Func<string?> environment)
{
    private readonly Lock _gate = new();
    private CpuKernelSelection? _current;

    public CpuKernelSelection? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public CpuKernelSelection Ensure(CpuKernelPath requested, bool bfloat16, ILogger logger)
    {
        lock (_gate)
        {
            // The environment variable makes the first choice only: afterwards Auto keeps what is in effect,
            // so a path forced by the options is not undone by a later call (a preview sampler's, say).
            string? source = null;
            if (requested == CpuKernelPath.Auto && _current is null && environment() is { Length: > 0 } text)
            {
                if (!CpuKernels.TryParse(text, out requested))
                {
                    throw new ArgumentException(
                        $"The environment variable {CpuKernels.EnvironmentVariable} is '{text}', which is not a CPU kernel path; use auto, onednn, onednn-avx, onednn-sse41 or onednn-off, or unset it.");
                }

                source = $"{CpuKernels.EnvironmentVariable}={text}";
            }

            if (_current is null || (requested != CpuKernelPath.Auto && requested != _current.Path))
            {
                CpuKernelSelection? previous = _current;
                try
                {
                    // The path is chosen on float32; bfloat16 is checked on top, the same way whenever it is first asked for.
                    _current = requested == CpuKernelPath.Auto
                        ? SelectAutomatically(logger)
                        : SelectForced(requested, source ?? $"{CpuKernels.Name(requested)} was asked for", logger);
                }
                catch (CpuKernelCheckException) when (previous is not null)
                {
                    // Put back the path that passed, so nothing runs on the kernels that just failed.
                    _current = backend.TryApply(previous.Path) is null ? previous : null;
                    throw;
                }
            }

            if (bfloat16 && CheckBFloat16(logger) is { Passed: false } check)
            {
                throw new CpuKernelCheckException(
                    $"bfloat16 training was asked for, but the CPU's bfloat16 kernels compute wrongly on the path in effect ({CpuKernels.Describe(_current.Path)}): {check}. Train in Float32 (TrainingPrecision.Float32, --precision fp32).",
                    [.. _current.Attempts, new CpuKernelAttempt(_current.Path, check, null)]);
            }

            return _current;
        }
    }

    /// <summary>
    /// Whether bfloat16 training is both fast and right here: the CPU has native bfloat16 instructions, the path in
    /// effect is oneDNN at an instruction set that uses them, and oneDNN's bfloat16 kernels pass the check. Never throws
    /// for a failed bfloat16 check; the reason says what was missing.
    /// </summary>
    public (bool Recommended, string Reason) AssessBFloat16(CpuKernelPath requested, ILogger logger)
    {
        lock (_gate)
        {
            CpuKernelSelection selection = Ensure(requested, bfloat16: false, logger);
            if (backend.BFloat16Instructions is not string instructions)
            {
                return (false, $"this CPU ({backend.CpuDescription}) has no native bfloat16 instructions (AVX-512 BF16 or AMX), where bfloat16 trains slower than float32");
            }

            if (selection.Path != CpuKernelPath.OneDnn)
            {
                return (false, $"the CPU has {instructions}, but the CPU kernels in effect are {CpuKernels.Describe(selection.Path)}, which have no bfloat16 instructions (why that path: the CPU kernels' log line, ddpm doctor, docs/troubleshooting.md)");
            }

            if (backend.IsaLimitFromEnvironment is string isa && !isa.Contains("BF16", StringComparison.OrdinalIgnoreCase) && !isa.Contains("AMX", StringComparison.OrdinalIgnoreCase))
            {
                return (false, $"the CPU has {instructions}, but oneDNN is limited by {LibTorchCpuBackend.IsaVariable}={isa} from the environment, below its bfloat16 instructions");
            }

            CpuKernelCheckResult? check;
            try
            {
                check = CheckBFloat16(logger);
            }
            catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
            {
                return (false, $"the CPU has {instructions}, but the bfloat16 kernel check itself failed: {e.Message.Split('\n')[0]}");
            }

            return check is { Passed: false }
                ? (false, $"the CPU has {instructions}, but oneDNN's bfloat16 kernels compute wrongly here: {check}")
                : (true, $"the CPU has {instructions} and oneDNN's bfloat16 kernels passed the check ({_current!.Check})");
        }
    }

    /// <summary>Runs the bfloat16 cases on the path in effect once; records them if they pass. Returns null when they passed before.</summary>
    private CpuKernelCheckResult? CheckBFloat16(ILogger logger)
    {
        if (_current!.BFloat16Checked)
        {
            return null;
        }

        CpuKernelCheckResult check = backend.Check(bfloat16: true);
        if (check.Passed)
        {
            _current = _current.WithCheck(check);
            logger.LogInformation("CPU kernels: bfloat16 checked on {Path}: {Check}", CpuKernels.Describe(_current.Path), check);
        }

        return check;
    }

    private CpuKernelSelection SelectAutomatically(ILogger logger)
    {
        CpuKernelPath first = backend.IsaLimitFromEnvironment is null && backend.CacheTopologyHidden ? CpuKernelPath.OneDnnSse41 : CpuKernelPath.OneDnn;
        var attempts = new List<CpuKernelAttempt>();
        foreach (CpuKernelPath path in new[] { first, CpuKernelPath.OneDnnOff })
        {
            CpuKernelAttempt attempt = Try(path);
            attempts.Add(attempt);
            if (!attempt.Passed)
            {
                continue;
            }

            string reason = Reason(path, attempts);
            var selection = new CpuKernelSelection(path, reason, attempts, backend.CpuDescription, backend.CacheTopologyHidden);
            if (path == CpuKernelPath.OneDnn)
            {
                logger.LogInformation("CPU kernels: {Path}, checked: {Check}", CpuKernels.Describe(path), attempt.Check);
            }
            else
            {
                logger.LogWarning("CPU kernels: {Reason} Checked: {Check}. See docs/troubleshooting.md", reason, attempt.Check);
            }

            return selection;
        }

        throw new CpuKernelCheckException(
            $"No CPU kernel path computes correctly on this CPU ({backend.CpuDescription}), so training and sampling on the CPU would give wrong numbers. {string.Join(" ", attempts.Select(a => a + "."))} Use a GPU (Device = \"cuda\"), or start a new process with {CpuKernels.EnvironmentVariable}=onednn-sse41 if it was not tried; see docs/troubleshooting.md.",
            attempts);
    }

    private CpuKernelSelection SelectForced(CpuKernelPath path, string source, ILogger logger)
    {
        CpuKernelAttempt attempt = Try(path);
        if (!attempt.Passed)
        {
            throw new CpuKernelCheckException(
                attempt.Check is null
                    ? $"{source}, but {CpuKernels.Describe(path)} cannot be used in this process: {attempt.Unusable}."
                    : $"{source}, but {CpuKernels.Describe(path)} computes wrongly on this CPU ({backend.CpuDescription}): {attempt.Check}. Use {CpuKernels.EnvironmentVariable}=auto (or unset it) to let Ddpm.Core choose a path that passes.",
                [attempt]);
        }

        logger.LogInformation("CPU kernels: {Path} ({Source}), checked: {Check}", CpuKernels.Describe(path), source, attempt.Check);
        return new CpuKernelSelection(path, $"{source}.", [attempt], backend.CpuDescription, backend.CacheTopologyHidden);
    }

    private CpuKernelAttempt Try(CpuKernelPath path)
    {
        if (backend.TryApply(path) is string unusable)
        {
            return new CpuKernelAttempt(path, null, unusable);
        }

        try
        {
            return new CpuKernelAttempt(path, backend.Check(bfloat16: false), null);
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            // A kernel that throws (a libtorch error) fails like one that computes wrongly; the next path is tried.
            return new CpuKernelAttempt(path, null, $"the check itself failed: {e.Message.Split('\n')[0]}");
        }
    }

    private string DescribeWithLimit(CpuKernelPath path) =>
        path == CpuKernelPath.OneDnn && backend.IsaLimitFromEnvironment is string isa
            ? $"oneDNN limited by {LibTorchCpuBackend.IsaVariable}={isa} from the environment"
            : CpuKernels.Describe(path);

    private string Reason(CpuKernelPath chosen, List<CpuKernelAttempt> attempts)
    {
        string hidden = $"This CPU ({backend.CpuDescription}) reads its cache-topology CPUID leaf (0x8000001D) as zeros, which makes LibTorch 2.10's oneDNN compute some float32 convolutions wrongly with its AVX, AVX2 and AVX-512 kernels";
        string failed = attempts.Count > 1 ? $"{DescribeWithLimit(attempts[0].Path)} failed the kernel check ({attempts[0].Check?.ToString() ?? attempts[0].Unusable}), " : string.Empty;
        return chosen switch
        {
            CpuKernelPath.OneDnn when backend.IsaLimitFromEnvironment is string isa => $"oneDNN, limited by {LibTorchCpuBackend.IsaVariable}={isa} from the environment, passed the kernel check.",
            CpuKernelPath.OneDnn => "oneDNN at the full instruction set passed the kernel check.",
            CpuKernelPath.OneDnnSse41 => $"{hidden}; Ddpm.Core limits oneDNN to SSE4.1 for this process, about 40% of full speed. {CpuKernels.EnvironmentVariable}=onednn or onednn-avx forces a wider instruction set (still checked, and refused if wrong).",
            _ => $"{failed}so Ddpm.Core switched oneDNN off for this process (libtorch's own kernels, about a quarter of oneDNN's speed).{(backend.CacheTopologyHidden || backend.IsaLimitFromEnvironment is not null ? string.Empty : $" A process started with {CpuKernels.EnvironmentVariable}=onednn-sse41 may be faster (it is checked too).")}",
        };
    }
}
