namespace Ddpm.Core.Sampling;

/// <summary>A snapshot of a sampling run after one reverse step.</summary>
/// <param name="Step">The number of reverse steps completed across all batches, from 1.</param>
/// <param name="TotalSteps">The number of reverse steps the run takes: T per batch.</param>
/// <param name="BatchIndex">The zero-based index of the batch being sampled.</param>
/// <param name="BatchCount">The number of batches.</param>
/// <param name="Elapsed">Time since sampling started.</param>
public sealed record SamplingProgress(long Step, long TotalSteps, int BatchIndex, int BatchCount, TimeSpan Elapsed);
