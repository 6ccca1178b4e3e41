using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>The state of one batch after a reverse step, handed to a sampling callback.</summary>
/// <param name="Timestep">The timestep t the step started from; the sample is x at the next timestep in the sampler's list (x_{t-1} when all T steps are taken), and the last step's sample is the final image.</param>
/// <param name="BatchIndex">The zero-based index of the batch being sampled.</param>
/// <param name="Sample">The new state of the batch, shape [B, C, H, W]. It is disposed after the callback returns: clone it (or convert it to images) to keep it.</param>
public readonly record struct SamplingStep(int Timestep, int BatchIndex, Tensor Sample);
