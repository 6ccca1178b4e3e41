using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>
/// A trained diffusion model: the denoising network ε_θ(x_t, t), optionally an exponential moving
/// average of its weights (<see cref="EmaNetwork"/>, what samplers use by default), the
/// <see cref="NoiseScheduler"/> it was trained with, the shape of the images it makes and, when known,
/// the configuration that built the network. <see cref="Training.DdpmTrainer"/> returns one;
/// <see cref="Sampling.DdpmSampler"/> samples from one; <see cref="Save"/> and <see cref="Load"/> store it.
/// The model owns and disposes its networks and scheduler.
/// </summary>
public sealed class DdpmModel : IDisposable
{
    private bool _disposed;

    /// <summary>Assembles a model from its parts, for example a network whose weights were loaded from a file.</summary>
    /// <param name="network">The network; it must be on the same device as <paramref name="scheduler"/>. The model takes ownership.</param>
    /// <param name="scheduler">The noise scheduler the network was trained with. The model takes ownership.</param>
    /// <param name="imageShape">The shape of one image the network takes and returns.</param>
    /// <param name="configuration">The configuration that built the network, or null if it is unknown.</param>
    /// <param name="trainedSteps">The number of optimiser steps taken so far; at least 0.</param>
    /// <param name="emaNetwork">A network of the same architecture holding averaged weights, or null. The model takes ownership.</param>
    /// <param name="prediction">What the network predicts; the default value is <see cref="Diffusion.PredictionType.Epsilon"/> (the notebook).</param>
    public DdpmModel(
        nn.Module<Tensor, Tensor, Tensor> network,
        NoiseScheduler scheduler,
        ImageShape imageShape,
        INetworkConfiguration? configuration = null,
        long trainedSteps = 0,
        nn.Module<Tensor, Tensor, Tensor>? emaNetwork = null,
        PredictionType prediction = PredictionType.Epsilon)
    {
        if (!Enum.IsDefined(prediction))
        {
            throw new ArgumentOutOfRangeException(nameof(prediction), prediction, "Use Epsilon, Sample or Velocity.");
        }

        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (imageShape.Channels < 1 || imageShape.Height < 1 || imageShape.Width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(imageShape), imageShape, "Every dimension of the image shape must be at least 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(trainedSteps);
        Network = network;
        EmaNetwork = emaNetwork;
        Scheduler = scheduler;
        ImageShape = imageShape;
        Configuration = configuration;
        TrainedSteps = trainedSteps;
        PredictionType = prediction;
    }

    /// <summary>Gets the denoising network with the trained weights.</summary>
    public nn.Module<Tensor, Tensor, Tensor> Network { get; }

    /// <summary>Gets the network holding the exponential moving average of the weights, or null when none was kept.</summary>
    public nn.Module<Tensor, Tensor, Tensor>? EmaNetwork { get; }

    /// <summary>Gets the noise scheduler (T, betas and the terms derived from them).</summary>
    public NoiseScheduler Scheduler { get; }

    /// <summary>Gets what the network predicts: the noise, the clean sample or the velocity.</summary>
    public PredictionType PredictionType { get; }

    /// <summary>Gets the class names of a class-conditional model, indexed by label; empty for an unconditional one.</summary>
    public IReadOnlyList<string> ClassNames { get; internal set; } = [];

    /// <summary>Gets the shape of one image.</summary>
    public ImageShape ImageShape { get; }

    /// <summary>Gets the configuration that built the network, or null for a network the user supplied.</summary>
    public INetworkConfiguration? Configuration { get; }

    /// <summary>Gets the number of optimiser steps the network was trained for.</summary>
    public long TrainedSteps { get; internal set; }

    /// <summary>Gets the training loss of every optimiser step, in order (empty for a model that was not trained here).</summary>
    public IReadOnlyList<float> LossHistory => Losses;

    /// <summary>Gets the device the network and scheduler live on.</summary>
    public Device Device => Scheduler.Device;

    /// <summary>Gets the number of trainable parameters of the network.</summary>
    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    internal List<float> Losses { get; } = [];

    /// <summary>The model as the checkpoint format stores it.</summary>
    internal ModelContents Contents => new(Network, EmaNetwork, Scheduler, ImageShape, Configuration, TrainedSteps, PredictionType, ClassNames, Losses);

    /// <summary>
    /// Loads a model saved by <see cref="Save"/> or written by the trainer as a checkpoint (its EMA
    /// weights included). Names, shapes and dtypes of every tensor are checked against the network.
    /// </summary>
    /// <param name="path">The checkpoint file, or a folder of checkpoints (<c>DdpmTrainerOptions.CheckpointDirectory</c>): its newest one that opens cleanly, as resuming takes it.</param>
    /// <param name="device">Where to put the model: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. The default value is <c>cpu</c>.</param>
    /// <param name="configuration">The network configuration, needed only for architectures the library does not know; null reads it from the file.</param>
    /// <returns>The model; the caller owns it.</returns>
    /// <exception cref="FileNotFoundException">The path is neither a file nor a folder, or the folder holds no readable checkpoint.</exception>
    /// <exception cref="CheckpointFormatException">The file is not a checkpoint, is truncated or corrupt, or does not fit the network.</exception>
    public static DdpmModel Load(string path, string device = "cpu", INetworkConfiguration? configuration = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Device target = TorchDevices.Resolve(device, nameof(device));
        using CheckpointReader reader = CheckpointReader.Open(CheckpointStore.Resolve(path, NullLogger.Instance));
        ModelContents contents = ModelCheckpoint.Read(reader, target, configuration);
        try
        {
            var model = new DdpmModel(
                contents.Network, contents.Scheduler, contents.ImageShape, contents.Configuration, contents.TrainedSteps, contents.EmaNetwork, contents.PredictionType)
            {
                ClassNames = contents.ClassNames,
            };
            model.Losses.AddRange(contents.Losses);
            return model;
        }
        catch
        {
            contents.Network.Dispose();
            contents.EmaNetwork?.Dispose();
            contents.Scheduler.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Saves the model (networks, scheduler, configuration, image shape, loss history) to a checkpoint
    /// file, atomically: the file is written beside the target and renamed over it when complete.
    /// </summary>
    /// <param name="path">The file to write; its folder is created if needed.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var writer = new CheckpointWriter(path);
        ModelCheckpoint.Write(writer, Contents, "model");
        writer.Commit();
    }

    /// <summary>
    /// Describes the model apart from its weights: network configuration, image shape, exact betas, prediction type
    /// and class names (<see cref="ModelDescription"/>, the JSON <c>ddpm export</c> writes beside the weights).
    /// </summary>
    /// <param name="weights">Which weights go with it: <c>ema</c> (the default) or <c>network</c>.</param>
    /// <returns>The description.</returns>
    /// <exception cref="InvalidOperationException">The network was supplied without a configuration, so nothing can rebuild it.</exception>
    public ModelDescription Describe(string weights = "ema")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (weights is not ("ema" or "network"))
        {
            throw new ArgumentException($"weights is '{weights}'; use ema or network.", nameof(weights));
        }

        return new ModelDescription
        {
            Network = Configuration ?? throw new InvalidOperationException("This model's network was supplied without a configuration, so a description cannot say how to rebuild it; build it from a UNetConfiguration or SimpleUNetConfiguration."),
            ImageShape = ImageShape,
            Betas = Scheduler.BetaValues,
            Schedule = Scheduler.Schedule.Name,
            Prediction = PredictionType,
            ClassNames = ClassNames,
            TrainedSteps = TrainedSteps,
            Weights = weights,
        };
    }

    /// <summary>
    /// Builds a model from a description and a state dict (for example what <c>train_ddp.py</c> wrote): the network
    /// the description names, its weights loaded with strict matching (every name, shape and dtype), and a scheduler
    /// with the description's exact betas. The model keeps no separate EMA copy: the weights given are the ones to sample with.
    /// </summary>
    /// <param name="description">The description, e.g. <see cref="ModelDescription.Read"/>.</param>
    /// <param name="weights">The state dict; the caller keeps ownership.</param>
    /// <param name="device">Where to put the model: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. The default value is <c>cpu</c>.</param>
    /// <returns>The model; the caller owns it.</returns>
    /// <exception cref="InvalidDataException">The weights do not fit the network; the message lists what is missing, unexpected or mis-shaped.</exception>
    public static DdpmModel FromWeights(ModelDescription description, IReadOnlyDictionary<string, Tensor> weights, string device = "cpu")
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(weights);
        Device target = TorchDevices.Resolve(device, nameof(device));
        nn.Module<Tensor, Tensor, Tensor> network = description.Network.CreateNetwork();
        NoiseScheduler? scheduler = null;
        try
        {
            Interop.StateDictLoader.Load(network, weights, strict: true);
            network.to(target);
            scheduler = new NoiseScheduler(new Schedules.CustomBetaSchedule([.. description.Betas], description.Schedule), description.Timesteps, target);
            return new DdpmModel(network, scheduler, description.ImageShape, description.Network, description.TrainedSteps, emaNetwork: null, description.Prediction)
            {
                ClassNames = description.ClassNames,
            };
        }
        catch
        {
            network.Dispose();
            scheduler?.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the networks and the scheduler.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Network.Dispose();
        EmaNetwork?.Dispose();
        Scheduler.Dispose();
    }
}
