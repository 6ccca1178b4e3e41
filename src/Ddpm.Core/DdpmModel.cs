using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>
/// A trained diffusion model: the denoising network ε_θ(x_t, t), the <see cref="NoiseScheduler"/>
/// it was trained with, the shape of the images it makes and, when known, the configuration that
/// built the network. <see cref="Training.DdpmTrainer.Fit(IImageDataset, IProgress{Training.TrainingProgress}?, CancellationToken)"/>
/// returns one; <see cref="Sampling.DdpmSampler"/> samples from one. The model owns and disposes both.
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
    public DdpmModel(
        nn.Module<Tensor, Tensor, Tensor> network,
        NoiseScheduler scheduler,
        ImageShape imageShape,
        INetworkConfiguration? configuration = null,
        long trainedSteps = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (imageShape.Channels < 1 || imageShape.Height < 1 || imageShape.Width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(imageShape), imageShape, "Every dimension of the image shape must be at least 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(trainedSteps);
        Network = network;
        Scheduler = scheduler;
        ImageShape = imageShape;
        Configuration = configuration;
        TrainedSteps = trainedSteps;
    }

    /// <summary>Gets the denoising network.</summary>
    public nn.Module<Tensor, Tensor, Tensor> Network { get; }

    /// <summary>Gets the noise scheduler (T, betas and the terms derived from them).</summary>
    public NoiseScheduler Scheduler { get; }

    /// <summary>Gets the shape of one image.</summary>
    public ImageShape ImageShape { get; }

    /// <summary>Gets the configuration that built the network, or null for a network the user supplied.</summary>
    public INetworkConfiguration? Configuration { get; }

    /// <summary>Gets the number of optimiser steps the network was trained for.</summary>
    public long TrainedSteps { get; }

    /// <summary>Gets the device the network and scheduler live on.</summary>
    public Device Device => Scheduler.Device;

    /// <summary>Gets the number of trainable parameters of the network.</summary>
    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    /// <summary>Disposes the network and the scheduler.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Network.Dispose();
        Scheduler.Dispose();
    }
}
