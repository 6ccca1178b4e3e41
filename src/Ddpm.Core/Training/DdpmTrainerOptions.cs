using Ddpm.Core.Models;
using Ddpm.Core.Schedules;

namespace Ddpm.Core.Training;

/// <summary>
/// Options for <see cref="DdpmTrainer"/>. The defaults reproduce the notebook: T = 300 linear betas,
/// the 62M-parameter SimpleUNet, L1 loss, Adam with learning rate 1e-3, batch 128, 100 epochs,
/// random horizontal flips. <see cref="DdpmTrainerOptionsValidator"/> checks every value.
/// </summary>
public sealed class DdpmTrainerOptions
{
    /// <summary>Gets or sets the number of passes over the dataset. Ignored when <see cref="MaxSteps"/> is set.</summary>
    /// <value>The default value is 100 (the notebook). Valid values: 1 to 1,000,000.</value>
    public int Epochs { get; set; } = 100;

    /// <summary>Gets or sets the number of optimiser steps to train for, across epochs; null trains for <see cref="Epochs"/> epochs.</summary>
    /// <value>The default value is null. Valid values: null, or 1 to 10^12.</value>
    public long? MaxSteps { get; set; }

    /// <summary>Gets or sets the number of images per step. Each epoch takes ⌊N / BatchSize⌋ full batches (the notebook drops the last partial one).</summary>
    /// <value>The default value is 128 (the notebook). Valid values: 1 to 65,536, and at most the dataset's size.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>Gets or sets Adam's learning rate.</summary>
    /// <value>The default value is 1e-3 (the notebook). Valid values: greater than 0 and at most 10.</value>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Gets or sets the loss between predicted and true noise.</summary>
    /// <value>The default value is <see cref="LossType.L1"/> (the notebook).</value>
    public LossType Loss { get; set; } = LossType.L1;

    /// <summary>Gets or sets the threshold between the quadratic and linear parts of the Huber loss.</summary>
    /// <value>The default value is 1.0. Valid values: greater than 0. Used only with <see cref="LossType.Huber"/>.</value>
    public double HuberDelta { get; set; } = 1.0;

    /// <summary>Gets or sets the device to train on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <value>The default value is <c>cpu</c>.</value>
    public string Device { get; set; } = "cpu";

    /// <summary>Gets or sets the seed for weight initialisation, shuffling, flips, timesteps and noise; null draws one at random (and logs it).</summary>
    /// <value>The default value is null. Valid values: null or any non-negative integer.</value>
    public int? Seed { get; set; }

    /// <summary>Gets or sets the number of diffusion steps T.</summary>
    /// <value>The default value is 300 (the notebook). Valid values: 1 to 100,000.</value>
    public int Timesteps { get; set; } = 300;

    /// <summary>Gets or sets the beta schedule.</summary>
    /// <value>The default value is <see cref="KnownBetaSchedules.Linear"/> (1e-4 to 0.02).</value>
    public IBetaSchedule Schedule { get; set; } = KnownBetaSchedules.Linear;

    /// <summary>Gets or sets the network to build and train. Not used when a network instance is passed to Fit.</summary>
    /// <value>The default value is the notebook's <see cref="SimpleUNetConfiguration"/> (3 channels, widths 64..1024).</value>
    public INetworkConfiguration Network { get; set; } = new SimpleUNetConfiguration();

    /// <summary>Gets or sets whether each image is flipped left-right with probability ½ each time it is used.</summary>
    /// <value>The default value is true (the notebook).</value>
    public bool RandomHorizontalFlip { get; set; } = true;

    /// <summary>Gets or sets whether the dataset order is shuffled every epoch.</summary>
    /// <value>The default value is true (the notebook).</value>
    public bool Shuffle { get; set; } = true;

    /// <summary>Gets or sets how often, in steps, the loss is written to the logger.</summary>
    /// <value>The default value is 50. Valid values: 1 to 1,000,000. Progress reports go to the <see cref="IProgress{T}"/> every step.</value>
    public int LogInterval { get; set; } = 50;
}
