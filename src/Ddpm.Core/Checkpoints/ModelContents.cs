using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// What a checkpoint stores of a model, as plain values: the parts of a <c>DdpmModel</c> without the type
/// itself, so the format knows nothing of the model class and the model calls into the format, one way.
/// </summary>
/// <param name="Network">The denoising network.</param>
/// <param name="EmaNetwork">The network with averaged weights, or null.</param>
/// <param name="Scheduler">The noise scheduler the network was trained with.</param>
/// <param name="ImageShape">The shape of one image.</param>
/// <param name="Configuration">The configuration that built the network, or null when unknown.</param>
/// <param name="TrainedSteps">The optimiser steps taken.</param>
/// <param name="PredictionType">What the network predicts.</param>
/// <param name="ClassNames">The class names of a class-conditional model; empty otherwise.</param>
/// <param name="Losses">The loss of every step, in order.</param>
internal sealed record ModelContents(
    nn.Module<Tensor, Tensor, Tensor> Network,
    nn.Module<Tensor, Tensor, Tensor>? EmaNetwork,
    NoiseScheduler Scheduler,
    ImageShape ImageShape,
    INetworkConfiguration? Configuration,
    long TrainedSteps,
    PredictionType PredictionType,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<float> Losses);
