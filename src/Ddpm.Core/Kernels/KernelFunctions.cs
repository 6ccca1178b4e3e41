using static TorchSharp.torch;

namespace Ddpm.Core.Kernels;

/// <summary>
/// The convolutions <see cref="CpuKernelCheck"/> checks, as functions, so tests can put a faulty one in
/// their place and exercise the check and the fallback on a healthy machine.
/// </summary>
/// <param name="Conv2d">A 2-D convolution: (input, weight, stride, padding) to output.</param>
/// <param name="ConvTranspose2d">A 2-D transposed convolution: (input, weight, stride, padding) to output.</param>
internal sealed record KernelFunctions(
    Func<Tensor, Tensor, long, long, Tensor> Conv2d,
    Func<Tensor, Tensor, long, long, Tensor> ConvTranspose2d)
{
    /// <summary>libtorch's own convolutions: what the networks call.</summary>
    public static KernelFunctions LibTorch { get; } = new(
        (x, w, stride, padding) => nn.functional.conv2d(x, w, strides: [stride, stride], padding: [padding, padding]),
        (x, w, stride, padding) => nn.functional.conv_transpose2d(x, w, strides: [stride, stride], padding: [padding, padding]));
}
