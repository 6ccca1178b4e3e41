using Ddpm.Core.Data;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Counts the floating-point operations of one forward pass by running it once on a dummy image with
/// hooks on the layers that dominate the cost: convolutions, transposed convolutions, linear layers
/// and the library's self-attention (both of its matrix products). A multiply-add counts as 2 FLOPs.
/// Normalisation, activations and additions are left out (a few percent at most).
/// A benchmark tool, not part of the library: the benchmarks report GFLOP/s with it, and the test suite
/// links this file to pin the documented per-image costs of the presets.
/// </summary>
internal static class FlopCounter
{
    /// <summary>Counts the forward FLOPs of <paramref name="network"/> for one image of <paramref name="shape"/>.</summary>
    /// <param name="network">The network; it is run once, in eval mode and without gradients, then its mode is restored.</param>
    /// <param name="shape">The image shape.</param>
    /// <returns>FLOPs per image for one forward pass (a training step costs about three times as much).</returns>
    public static long ForwardFlopsPerImage(nn.Module<Tensor, Tensor, Tensor> network, ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(network);
        long macs = 0;
        var removers = new List<Action>();
        foreach (nn.Module module in network.modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    removers.Add(conv.register_forward_hook((m, input, output) =>
                    {
                        var c = (Conv2d)m;
                        macs += output.numel() * (input.shape[1] / c.groups) * c.kernel_size[0] * c.kernel_size[1];
                        return output;
                    }).remove);
                    break;
                case ConvTranspose2d transposed:
                    removers.Add(transposed.register_forward_hook((m, input, output) =>
                    {
                        var c = (ConvTranspose2d)m;
                        macs += input.numel() * (output.shape[1] / c.groups) * c.kernel_size[0] * c.kernel_size[1];
                        return output;
                    }).remove);
                    break;
                case Linear linear:
                    removers.Add(linear.register_forward_hook((m, input, output) =>
                    {
                        macs += output.numel() * input.shape[^1];
                        return output;
                    }).remove);
                    break;
                case SelfAttention attention:
                    removers.Add(attention.register_forward_hook((m, input, output) =>
                    {
                        // Q·Kᵀ and softmax(·)·V: 2 · B · (HW)² · C multiply-adds.
                        long positions = input.shape[2] * input.shape[3];
                        macs += 2 * input.shape[0] * positions * positions * input.shape[1];
                        return output;
                    }).remove);
                    break;
            }
        }

        bool training = network.training;
        try
        {
            network.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Device device = network.parameters().FirstOrDefault()?.device ?? CPU;
            if (device.type == DeviceType.CPU)
            {
                // Counting runs the network once; the kernels are chosen before oneDNN's first convolution.
                CpuKernels.Ensure();
            }

            network.call(zeros(new long[] { 1, shape.Channels, shape.Height, shape.Width }, device: device), zeros(new long[] { 1 }, dtype: ScalarType.Int64, device: device));
        }
        finally
        {
            removers.ForEach(remove => remove());
            network.train(training);
        }

        return 2 * macs;
    }
}
