using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;

namespace Ddpm.Core.Checkpoints;

/// <summary>What a training checkpoint's run was trained with, for checking that options can continue it.</summary>
/// <param name="Seed">The run's seed.</param>
/// <param name="Architecture">The network's architecture name (<c>unet</c>, <c>simple-unet</c>, ...).</param>
/// <param name="Configuration">The network's configuration, or null for an architecture the library does not know.</param>
/// <param name="Prediction">What the network predicts.</param>
/// <param name="Shape">The training images' shape.</param>
/// <param name="Scheduler">The noise schedule: T, the betas and their description.</param>
internal sealed record ResumableRun(int Seed, string Architecture, INetworkConfiguration? Configuration, PredictionType Prediction, ImageShape Shape, SchedulerSection Scheduler);
