using Ddpm.Core.Kernels;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>Convolutions that go wrong the ways LibTorch 2.10's oneDNN does on a Zen 5 VM, in float32 only (the float64 reference stays right).</summary>
internal static class FaultyKernels
{
    /// <summary>Forward results 1% off when the input channels are not a multiple of 16.</summary>
    public static KernelFunctions WrongForwardForOddChannels { get; } = new(
        (x, w, stride, padding) => Off(x, KernelFunctions.LibTorch.Conv2d(x, w, stride, padding)),
        KernelFunctions.LibTorch.ConvTranspose2d);

    /// <summary>NaN in every float32 output, as the miscomputed kernels gave even with zero weights.</summary>
    public static KernelFunctions NaNEverywhere { get; } = new(
        (x, w, stride, padding) => NaNIfFloat32(KernelFunctions.LibTorch.Conv2d(x, w, stride, padding)),
        (x, w, stride, padding) => NaNIfFloat32(KernelFunctions.LibTorch.ConvTranspose2d(x, w, stride, padding)));

    /// <summary>
    /// Right forward results and weight gradients, but input gradients 1.5 times too large: the added
    /// term is zero in value and contributes only to d/dx.
    /// </summary>
    public static KernelFunctions WrongInputGradient { get; } = new(
        (x, w, stride, padding) => x.dtype == ScalarType.Float64
            ? KernelFunctions.LibTorch.Conv2d(x, w, stride, padding)
            : KernelFunctions.LibTorch.Conv2d(x, w, stride, padding) + KernelFunctions.LibTorch.Conv2d((x - x.detach()) * 0.5, w.detach(), stride, padding),
        KernelFunctions.LibTorch.ConvTranspose2d);

    /// <summary>Wrong in bfloat16 only: forward results 10% off.</summary>
    public static KernelFunctions WrongBFloat16 { get; } = new(
        (x, w, stride, padding) => x.dtype == ScalarType.BFloat16 ? KernelFunctions.LibTorch.Conv2d(x, w, stride, padding) * 1.1 : KernelFunctions.LibTorch.Conv2d(x, w, stride, padding),
        KernelFunctions.LibTorch.ConvTranspose2d);

    private static Tensor Off(Tensor input, Tensor output) =>
        input.dtype == ScalarType.Float32 && input.shape[1] % 16 != 0 ? output * 1.01 : output;

    private static Tensor NaNIfFloat32(Tensor output) => output.dtype == ScalarType.Float32 ? output + float.NaN : output;
}
