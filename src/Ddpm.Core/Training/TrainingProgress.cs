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
/// <param name="DataWait">
/// The time the training loop has spent waiting for batches from the data pipeline since the run started
/// (the same clock as <paramref name="Elapsed"/>). Near zero when the dataset keeps up with the network;
/// a large share of <paramref name="Elapsed"/> means the data is the bottleneck (raise
/// <see cref="DdpmTrainerOptions.PrefetchBatches"/>, or make <see cref="Data.IImageDataset.CopyImage"/>
/// cheaper, for example by decoding once up front as <see cref="Data.ImageFolderDataset"/> does).
/// </param>
/// <param name="Precision">The precision the run computes in and why (<see cref="TrainingPrecisionChoice"/>); null only in reports made outside the trainer.</param>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    double SmoothedLoss,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan EstimatedRemaining,
    TimeSpan DataWait,
    TrainingPrecisionChoice? Precision = null);
