using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;

namespace Ddpm.Core.Training;

/// <summary>
/// Options for <see cref="DdpmTrainer"/>. The defaults follow the notebook (linear betas, Adam with
/// learning rate 1e-3, batch 128, 100 epochs, random horizontal flips) except in three places where
/// the notebook's choice costs image quality: the network is the improved <see cref="UNet"/>, T is
/// 1000 rather than 300 (at T = 300 the linear schedule ends at ᾱ_T ≈ 0.05, so sampling starts from
/// noise the network never saw), and the loss is the mean squared error of DDPM rather than L1 (whose
/// per-pixel median is not the posterior mean). To reproduce the notebook exactly set
/// <see cref="Network"/> to a <see cref="SimpleUNetConfiguration"/>, <see cref="Timesteps"/> to 300
/// and <see cref="Loss"/> to <see cref="LossType.L1"/>.
/// <see cref="DdpmTrainerOptionsValidator"/> checks every value.
/// </summary>
public sealed class DdpmTrainerOptions
{
    /// <summary>Gets or sets the number of passes over the dataset. Ignored when <see cref="MaxSteps"/> is set.</summary>
    /// <value>The default value is 100 (the notebook). Valid values: 1 to 1,000,000.</value>
    public int Epochs { get; set; } = 100;

    /// <summary>Gets or sets the number of optimiser steps to train for, across epochs; null trains for <see cref="Epochs"/> epochs.</summary>
    /// <value>The default value is null. Valid values: null, or 1 to 10^12.</value>
    public long? MaxSteps { get; set; }

    /// <summary>
    /// Gets or sets the number of images per step. Each epoch takes ⌊N / BatchSize⌋ full batches (the notebook drops
    /// the last partial one). On a dataset of fewer images the run takes them all in every step, and logs a warning.
    /// </summary>
    /// <value>The default value is 128 (the notebook). Valid values: 1 to 65,536; above the dataset's size, the dataset's size is used.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>Gets or sets the peak learning rate (reached after <see cref="WarmupSteps"/>).</summary>
    /// <value>The default value is 1e-3 (the notebook). Valid values: greater than 0 and at most 10.</value>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Gets or sets the optimiser.</summary>
    /// <value>The default value is <see cref="OptimizerType.Adam"/> (the notebook).</value>
    public OptimizerType Optimizer { get; set; } = OptimizerType.Adam;

    /// <summary>Gets or sets the weight decay: an L2 penalty for Adam, decoupled decay for AdamW.</summary>
    /// <value>The default value is 0. Valid values: 0 to 1. AdamW is usually run with 0.01.</value>
    public double WeightDecay { get; set; }

    /// <summary>Gets or sets Adam's β₁ (momentum of the gradient average).</summary>
    /// <value>The default value is 0.9. Valid values: [0, 1).</value>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>Gets or sets Adam's β₂ (momentum of the squared-gradient average).</summary>
    /// <value>The default value is 0.999. Valid values: [0, 1).</value>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>Gets or sets Adam's ε, added to the denominator for stability.</summary>
    /// <value>The default value is 1e-8. Valid values: greater than 0 and at most 1.</value>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Gets or sets the number of steps over which the learning rate rises linearly from 0 to <see cref="LearningRate"/>.</summary>
    /// <value>The default value is 0 (no warm-up). Valid values: 0 or more, and fewer than the run's steps.</value>
    public long WarmupSteps { get; set; }

    /// <summary>Gets or sets how the learning rate changes after the warm-up.</summary>
    /// <value>The default value is <see cref="Training.LearningRateSchedule.Constant"/>.</value>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Gets or sets the learning rate that cosine decay ends at.</summary>
    /// <value>The default value is 0. Valid values: 0 to <see cref="LearningRate"/>.</value>
    public double MinLearningRate { get; set; }

    /// <summary>Gets or sets the largest gradient norm (over all parameters) before the gradients are scaled down; null does not clip.</summary>
    /// <value>The default value is null. Valid values: null or greater than 0.</value>
    public double? MaxGradNorm { get; set; }

    /// <summary>Gets or sets the number of batches whose gradients are added up before one optimiser step, for an effective batch of BatchSize · GradientAccumulationSteps.</summary>
    /// <value>The default value is 1. Valid values: 1 to 4096.</value>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Gets or sets the exponential moving average of the weights.</summary>
    /// <value>The default value is enabled, decay warming up to 0.9999 with power 3/4.</value>
    public EmaOptions Ema { get; set; } = new();

    /// <summary>Gets or sets the γ of min-SNR-γ loss weighting (Hang et al. 2023): each sample's loss is weighted by min(SNR(t), γ) / SNR(t); null weights all timesteps equally.</summary>
    /// <value>The default value is null. Valid values: null or greater than 0 (5 is typical).</value>
    public double? MinSnrGamma { get; set; }

    /// <summary>Gets or sets what the network learns to predict; the loss compares it with the matching target.</summary>
    /// <value>The default value is <see cref="Diffusion.PredictionType.Epsilon"/> (the notebook). Use Velocity with zero-terminal-SNR schedules.</value>
    public Diffusion.PredictionType Prediction { get; set; } = Diffusion.PredictionType.Epsilon;

    /// <summary>Gets or sets the number format of the training step; see <see cref="TrainingPrecision"/>.</summary>
    /// <value>The default value is <see cref="TrainingPrecision.Auto"/>: bfloat16 on CPUs with native bfloat16 whose kernels pass the check, float32 elsewhere (<see cref="TrainingPrecisionChoice.Make"/>; the training log says which and why). <see cref="TrainingPrecision.BFloat16"/> needs <see cref="Network"/> (not a network passed to Fit); with gradient accumulation the micro-batches' gradients add up in bfloat16.</value>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Auto;

    /// <summary>Gets or sets the loss between the prediction and its target.</summary>
    /// <value>The default value is <see cref="LossType.L2"/> (DDPM's simplified objective, Ho et al. 2020 eq. 14; the notebook uses <see cref="LossType.L1"/>).</value>
    public LossType Loss { get; set; } = LossType.L2;

    /// <summary>Gets or sets the threshold between the quadratic and linear parts of the Huber loss.</summary>
    /// <value>The default value is 1.0. Valid values: greater than 0. Used only with <see cref="LossType.Huber"/>.</value>
    public double HuberDelta { get; set; } = 1.0;

    /// <summary>Gets or sets the device to train on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <value>The default value is <c>cpu</c>.</value>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Gets or sets how many CPU threads libtorch's operators use while <see cref="DdpmTrainer.Fit(Data.IImageDataset, IProgress{TrainingProgress}?, CancellationToken)"/>
    /// runs (torch.set_num_threads: process-wide, and put back when Fit returns); null uses every logical core.
    /// </summary>
    /// <value>The default value is null (<see cref="Environment.ProcessorCount"/> threads). Valid values: null or 1 to 1024.</value>
    public int? Threads { get; set; }

    /// <summary>
    /// Gets or sets which CPU kernels libtorch runs convolutions with (process-wide). Before the first CPU
    /// training step (with the bfloat16 kernels when <see cref="Precision"/> asks for them), <see cref="Kernels.CpuKernels.Ensure"/> checks them numerically against float64 and, on
    /// <see cref="Kernels.CpuKernelPath.Auto"/>, falls back to the fastest path that passes (LibTorch 2.10's
    /// oneDNN miscomputes on CPUs that hide their cache topology); a forced path is checked too, and refused
    /// if it fails. Ignored on CUDA.
    /// </summary>
    /// <value>The default value is <see cref="Kernels.CpuKernelPath.Auto"/> (the <c>DDPM_CPU_KERNELS</c> environment variable when set, else an automatic choice). Valid values: any <see cref="Kernels.CpuKernelPath"/>.</value>
    public Kernels.CpuKernelPath CpuKernels { get; set; }

    /// <summary>Gets or sets the seed for weight initialisation, shuffling, flips, timesteps and noise; null draws one at random (and logs it).</summary>
    /// <value>The default value is null. Valid values: null or any non-negative integer.</value>
    public int? Seed { get; set; }

    /// <summary>Gets or sets the number of diffusion steps T.</summary>
    /// <value>The default value is 1000 (DDPM; the notebook uses 300, where the linear schedule leaves ᾱ_T ≈ 0.05 of signal). Valid values: 1 to 100,000.</value>
    public int Timesteps { get; set; } = 1000;

    /// <summary>Gets or sets the beta schedule.</summary>
    /// <value>The default value is <see cref="KnownBetaSchedules.Linear"/> (1e-4 to 0.02).</value>
    public IBetaSchedule Schedule { get; set; } = KnownBetaSchedules.Linear;

    /// <summary>
    /// Gets or sets the network to build and train; null builds the default network for the dataset:
    /// <see cref="UNetPresets.Small"/> with the dataset's channels and, when <see cref="ClassConditional"/>
    /// is true, its number of classes. Not used when a network instance is passed to Fit.
    /// </summary>
    /// <value>The default value is null (<see cref="UNetPresets.Small"/> sized for the data). The notebook's network is <c>new SimpleUNetConfiguration()</c>.</value>
    public INetworkConfiguration? Network { get; set; }

    /// <summary>
    /// Gets or sets whether the network is told each image's class, so that samples can be asked for by
    /// class with classifier-free guidance (Ho &amp; Salimans 2022). Needs an <see cref="Data.ILabeledImageDataset"/>
    /// with labels and a network built for that many classes (for example <c>UNetConfiguration.ClassCount</c>).
    /// </summary>
    /// <value>The default value is false (unconditional).</value>
    public bool ClassConditional { get; set; }

    /// <summary>Gets or sets the probability that a label is replaced by the "no class" token in training, which teaches the unconditional prediction that guidance needs.</summary>
    /// <value>The default value is 0.1. Valid values: [0, 1). Used only when <see cref="ClassConditional"/> is true.</value>
    public double LabelDropout { get; set; } = 0.1;

    /// <summary>Gets or sets whether each image is flipped left-right with probability ½ each time it is used.</summary>
    /// <value>The default value is true (the notebook).</value>
    public bool RandomHorizontalFlip { get; set; } = true;

    /// <summary>Gets or sets whether the dataset order is shuffled every epoch.</summary>
    /// <value>The default value is true (the notebook).</value>
    public bool Shuffle { get; set; } = true;

    /// <summary>Gets or sets how many batches are prepared ahead of the training step on a background thread; 0 prepares them on the training thread.</summary>
    /// <value>The default value is 2. Valid values: 0 to 64.</value>
    public int PrefetchBatches { get; set; } = 2;

    /// <summary>
    /// Gets or sets the folder for checkpoints (network, EMA, optimiser, RNG, step, history); null writes none.
    /// A checkpoint the file system refuses (disk full, read-only folder) stops training with a
    /// <see cref="Checkpoints.CheckpointWriteException"/> naming the previous, intact checkpoint.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets how often, in optimiser steps, a checkpoint is written; one is always written at the end and on cancellation.</summary>
    /// <value>The default value is 1000. Valid values: 1 to 10^9.</value>
    public int CheckpointInterval { get; set; } = 1000;

    /// <summary>Gets or sets how many of the newest checkpoints are kept; older ones are deleted.</summary>
    /// <value>The default value is 3. Valid values: 1 to 1000.</value>
    public int CheckpointsToKeep { get; set; } = 3;

    /// <summary>Gets or sets a checkpoint whose network (and EMA) weights start the run: fine-tuning with these options, from step 0 with a fresh optimiser. Resuming a run is <c>Fit(dataset, resumeFrom)</c> instead.</summary>
    /// <value>The default value is null.</value>
    public string? FineTuneFrom { get; set; }

    /// <summary>Gets or sets how often, in optimiser steps, a grid of samples is drawn and written as a PNG to <see cref="SampleDirectory"/>; null draws none.</summary>
    /// <value>The default value is null. Valid values: null or 1 to 10^9.</value>
    public int? SampleInterval { get; set; }

    /// <summary>Gets or sets the number of images in each sample grid.</summary>
    /// <value>The default value is 16. Valid values: 1 to 1024.</value>
    public int SampleCount { get; set; } = 16;

    /// <summary>
    /// Gets or sets the folder that sample grids (<c>samples-step00001000.png</c>) are written to; null uses
    /// <see cref="CheckpointDirectory"/>, then <see cref="TensorBoardDirectory"/>. A grid that cannot be
    /// written is logged as an error and training continues.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? SampleDirectory { get; set; }

    /// <summary>Gets or sets how preview samples are drawn (seed, BatchNorm mode, weights).</summary>
    /// <value>The default value is a fixed seed of 0 with the sampler's other defaults, so grids are comparable across steps.</value>
    public DdpmSamplerOptions PreviewSampling { get; set; } = new() { Seed = 0 };

    /// <summary>Gets or sets a folder for TensorBoard event files (loss, smoothed loss, learning rate per step); null writes none. Sample grids go to PNG files, not TensorBoard: TorchSharp encodes TensorBoard images with SkiaSharp, whose native library CPU backends lack.</summary>
    /// <value>The default value is null.</value>
    public string? TensorBoardDirectory { get; set; }

    /// <summary>Gets or sets how often, in steps, the loss is written to the logger.</summary>
    /// <value>The default value is 50. Valid values: 1 to 1,000,000. Progress reports go to the <see cref="IProgress{T}"/> every step.</value>
    public int LogInterval { get; set; } = 50;

    /// <summary>Returns <see cref="Network"/>, or the default network for images of <paramref name="shape"/> when it is null.</summary>
    internal INetworkConfiguration NetworkFor(ImageShape shape, int classCount)
    {
        if (Network is not null)
        {
            return Network;
        }

        UNetConfiguration configuration = UNetPresets.Small(shape.Channels);
        configuration.ClassCount = ClassConditional ? classCount : 0;
        return configuration;
    }

    /// <summary>
    /// A copy that later changes to this instance do not reach: the EMA and preview options are copied,
    /// and the library's own network configurations too (through their JSON form); a configuration
    /// type of the caller's own is kept as it is.
    /// </summary>
    internal DdpmTrainerOptions Snapshot()
    {
        var copy = (DdpmTrainerOptions)MemberwiseClone();
        copy.Ema = Ema?.Snapshot()!;
        copy.PreviewSampling = PreviewSampling?.Snapshot()!;
        if (Network is not null)
        {
            copy.Network = Checkpoints.NetworkConfigurations.FromJson(Network.Architecture, Checkpoints.NetworkConfigurations.ToJson(Network), "DdpmTrainerOptions.Network") ?? Network;
        }

        return copy;
    }
}
