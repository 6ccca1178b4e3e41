using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>The state of one batch after a reverse step, handed to a sampling callback.</summary>
/// <param name="Timestep">The timestep t that was just removed: the sample is x_{t-1}, so 0 means the final images.</param>
/// <param name="BatchIndex">The zero-based index of the batch being sampled.</param>
/// <param name="Sample">x_{t-1} for the batch, shape [B, C, H, W]. It is disposed after the callback returns: clone it (or convert it to images) to keep it.</param>
public readonly record struct SamplingStep(int Timestep, int BatchIndex, Tensor Sample);
