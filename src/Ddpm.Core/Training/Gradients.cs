using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>Gradient housekeeping shared by the fp32 step and the bfloat16 copy.</summary>
internal static class Gradients
{
    /// <summary>
    /// Drops every parameter's gradient (PyTorch 2's <c>zero_grad(set_to_none=True)</c>) instead of
    /// zeroing it, as TorchSharp's <c>Optimizer.zero_grad</c> does: the next backward pass allocates
    /// fresh gradients, so a network's worth of gradient memory is not held through the forward pass,
    /// where activations peak. Adam, AdamW and gradient clipping treat a missing gradient as "no update",
    /// and every parameter of a network used in the loss receives one in backward.
    /// </summary>
    public static void Release(IEnumerable<Tensor> parameters)
    {
        foreach (Tensor parameter in parameters)
        {
            using Tensor? gradient = parameter.grad;
            if (gradient is not null)
            {
                parameter.grad = null;
            }
        }
    }
}
