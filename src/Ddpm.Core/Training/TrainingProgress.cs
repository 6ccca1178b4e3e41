namespace Ddpm.Core.Training;

/// <summary>A snapshot of a training run after one optimiser step.</summary>
/// <param name="Step">The number of steps completed, from 1.</param>
/// <param name="TotalSteps">The number of steps the run will take.</param>
/// <param name="Epoch">The zero-based epoch the step belongs to.</param>
/// <param name="Loss">This step's loss.</param>
/// <param name="SmoothedLoss">An exponential moving average of the loss (weight 0.98 on the past, bias-corrected).</param>
/// <param name="LearningRate">The learning rate used for the step.</param>
/// <param name="ImagesPerSecond">Training throughput since the run started.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="EstimatedRemaining">The estimated time left, from the average step time so far.</param>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    double SmoothedLoss,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan EstimatedRemaining);
