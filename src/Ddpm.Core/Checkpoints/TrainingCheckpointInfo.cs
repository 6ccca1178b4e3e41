namespace Ddpm.Core.Checkpoints;

/// <summary>Where a training run was when its checkpoint was written (part of <see cref="CheckpointInfo"/>).</summary>
/// <param name="Step">The optimiser steps completed.</param>
/// <param name="TotalSteps">The steps the run was set to take.</param>
/// <param name="Epoch">The zero-based epoch of the last step.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="SmoothedLoss">The smoothed training loss at the checkpoint.</param>
/// <param name="Optimizer">The optimiser's name.</param>
/// <param name="OptionsJson">The trainer options of the run, as JSON.</param>
/// <param name="Precision">The precision the run computed in and why, e.g. <c>Float32 (chosen automatically: ...)</c> (as TrainingPrecisionChoice words it); null in checkpoints written before Ddpm.Core recorded it.</param>
public sealed record TrainingCheckpointInfo(long Step, long TotalSteps, int Epoch, int Seed, double SmoothedLoss, string Optimizer, string OptionsJson, string? Precision = null);
