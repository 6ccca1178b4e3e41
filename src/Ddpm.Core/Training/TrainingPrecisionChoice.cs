using Ddpm.Core.Kernels;
using Microsoft.Extensions.Logging;

namespace Ddpm.Core.Training;

/// <summary>The number format a training run computes in, and why; <see cref="Make"/> turns <see cref="TrainingPrecision.Auto"/> into one of the two.</summary>
/// <param name="Precision">The precision the run uses: <see cref="TrainingPrecision.Float32"/> or <see cref="TrainingPrecision.BFloat16"/>, never Auto.</param>
/// <param name="Reason">Why, in a sentence, e.g. "chosen automatically: the CPU has AVX-512 BF16 and oneDNN's bfloat16 kernels passed the check (...)".</param>
public sealed record TrainingPrecisionChoice(TrainingPrecision Precision, string Reason)
{
    /// <summary>
    /// Decides the precision a run on <paramref name="device"/> uses. A precision asked for is kept (bfloat16 on a
    /// CPU is checked first, and refused if its kernels compute wrongly, as the trainer does). <see cref="TrainingPrecision.Auto"/>
    /// means bfloat16 only on a CPU with native bfloat16 instructions whose oneDNN kernels run at that instruction set
    /// and pass the bfloat16 kernel check (measured 1.64x float32's speed on AMD Zen 4 at the same loss, docs/benchmarks.md);
    /// float32 on every other CPU, and on CUDA, where bfloat16 is not yet measured (docs/gpu.md).
    /// On the CPU this chooses the kernel path first (<see cref="CpuKernels.Ensure"/>), once per process.
    /// </summary>
    /// <param name="requested">The precision asked for; the default is <see cref="TrainingPrecision.Auto"/>.</param>
    /// <param name="device">The training device, as in <see cref="DdpmTrainerOptions.Device"/>: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="cpuKernels">The CPU kernel path, as in <see cref="DdpmTrainerOptions.CpuKernels"/>.</param>
    /// <param name="logger">Receives the kernel path's line and, for bfloat16 asked for on a CPU without native bfloat16, a warning; null logs nothing.</param>
    /// <returns>The precision and why.</returns>
    /// <exception cref="ArgumentException"><paramref name="requested"/> or <paramref name="cpuKernels"/> is not a defined value, or <paramref name="device"/> is not a device name.</exception>
    /// <exception cref="CpuKernelCheckException">bfloat16 was asked for on the CPU and its kernels compute wrongly, or no CPU kernel path computes correctly.</exception>
    public static TrainingPrecisionChoice Make(TrainingPrecision requested = TrainingPrecision.Auto, string device = "cpu", CpuKernelPath cpuKernels = CpuKernelPath.Auto, ILogger? logger = null)
    {
        if (!Enum.IsDefined(requested))
        {
            throw new ArgumentException($"The precision is {(int)requested}, which is not a TrainingPrecision; use Auto, Float32 or BFloat16.", nameof(requested));
        }

        if (TorchDevices.Describe(device) is string problem)
        {
            throw new ArgumentException($"The device {problem}.", nameof(device));
        }

        bool cpu = device.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase);
        switch (requested)
        {
            case TrainingPrecision.Float32:
                return new(TrainingPrecision.Float32, "asked for (Precision = Float32)");
            case TrainingPrecision.BFloat16 when !cpu:
                return new(TrainingPrecision.BFloat16, "asked for (Precision = BFloat16)");
            case TrainingPrecision.BFloat16:
                CpuKernels.Ensure(cpuKernels, bfloat16: true, logger);
                if (CpuKernels.BFloat16Instructions is null)
                {
                    logger?.LogWarning(
                        "bfloat16 was asked for, but this CPU ({Cpu}) has no native bfloat16 instructions (AVX-512 BF16 or AMX): expect it to train slower than float32; Precision = Auto chooses for you",
                        CpuKernels.Cpu);
                }

                return new(TrainingPrecision.BFloat16, "asked for (Precision = BFloat16); the bfloat16 kernels passed the check");
            default:
                if (!cpu)
                {
                    return new(TrainingPrecision.Float32, "chosen automatically: bfloat16 is chosen by itself only on CPUs, as it is not yet measured on CUDA (docs/gpu.md); set Precision = BFloat16 to use it on a GPU from NVIDIA Ampere on");
                }

                (bool recommended, string reason) = CpuKernels.AssessBFloat16(cpuKernels, logger);
                return new(recommended ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32, $"chosen automatically: {reason}");
        }
    }

    /// <summary>
    /// The choice for a network passed to Fit, which has no configuration to build a bfloat16 copy from: an automatic
    /// bfloat16 becomes float32 (a bfloat16 asked for stays, and the run refuses it with the fix).
    /// </summary>
    internal TrainingPrecisionChoice ForNetworkWithoutConfiguration(TrainingPrecision requested) =>
        requested == TrainingPrecision.Auto && Precision == TrainingPrecision.BFloat16
            ? new(TrainingPrecision.Float32, "chosen automatically: bfloat16 needs the network's configuration to build its bfloat16 copy, and this network was passed to Fit (set DdpmTrainerOptions.Network instead)")
            : this;

    /// <summary>Returns the precision and the reason in one line.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Precision} ({Reason})";
}
