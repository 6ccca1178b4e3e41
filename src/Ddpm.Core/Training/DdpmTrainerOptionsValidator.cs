using Ddpm.Core.Diffusion;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.Training;

/// <summary>Checks <see cref="DdpmTrainerOptions"/>; each failure names the option, its value and the allowed range.</summary>
public sealed class DdpmTrainerOptionsValidator : IValidateOptions<DdpmTrainerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DdpmTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Epochs is < 1 or > 1_000_000)
        {
            failures.Add($"Epochs is {options.Epochs}; it must lie in [1, 1000000].");
        }

        if (options.MaxSteps is < 1 or > 1_000_000_000_000)
        {
            failures.Add($"MaxSteps is {options.MaxSteps}; it must be null or lie in [1, 10^12].");
        }

        if (options.BatchSize is < 1 or > 65_536)
        {
            failures.Add($"BatchSize is {options.BatchSize}; it must lie in [1, 65536].");
        }

        if (!(options.LearningRate > 0 && options.LearningRate <= 10))
        {
            failures.Add($"LearningRate is {options.LearningRate}; it must be greater than 0 and at most 10 (the notebook uses 1e-3).");
        }

        if (!Enum.IsDefined(options.Precision))
        {
            failures.Add($"Precision is {(int)options.Precision}, which is not a TrainingPrecision; use Auto, Float32 or BFloat16.");
        }

        if (!Enum.IsDefined(options.Loss))
        {
            failures.Add($"Loss is {(int)options.Loss}, which is not a LossType; use L1, L2 or Huber.");
        }

        if (!(options.HuberDelta > 0 && double.IsFinite(options.HuberDelta)))
        {
            failures.Add($"HuberDelta is {options.HuberDelta}; it must be a finite number greater than 0.");
        }

        if (TorchDevices.Describe(options.Device) is string problem)
        {
            failures.Add($"Device {problem}.");
        }

        if (CpuThreads.Check("Threads", options.Threads) is string threads)
        {
            failures.Add(threads);
        }

        if (!Enum.IsDefined(options.CpuKernels))
        {
            failures.Add($"CpuKernels is {(int)options.CpuKernels}, which is not a CpuKernelPath; use Auto, OneDnn, OneDnnAvx, OneDnnSse41 or OneDnnOff.");
        }

        if (options.Seed is < 0)
        {
            failures.Add($"Seed is {options.Seed}; it must be null or a non-negative integer.");
        }

        if (options.Timesteps is < 1 or > 100_000)
        {
            failures.Add($"Timesteps is {options.Timesteps}; it must lie in [1, 100000] (the notebook uses 300).");
        }

        if (options.Schedule is null)
        {
            failures.Add("Schedule is null; use a schedule such as KnownBetaSchedules.Linear.");
        }
        else if (options.Prediction == PredictionType.Epsilon && options.Timesteps is >= 1 and <= 100_000 && PureNoiseStep(options.Schedule, options.Timesteps) is int step)
        {
            // Checked on the values, so a CustomBetaSchedule ending in β = 1 is caught as ZeroTerminalSnrSchedule is.
            failures.Add($"Schedule reaches zero SNR (ᾱ = 0, a pure-noise x_t) at step {step} of T = {options.Timesteps} but Prediction is Epsilon: there, predicted noise says nothing about the image, min-SNR weights divide 0 by 0, and sampling divides by √ᾱ = 0. Use Prediction = Velocity (or Sample), or a schedule whose betas stay below 1.");
        }

        if (!Enum.IsDefined(options.Prediction))
        {
            failures.Add($"Prediction is {(int)options.Prediction}, which is not a PredictionType; use Epsilon, Sample or Velocity.");
        }

        if (!Enum.IsDefined(options.Optimizer))
        {
            failures.Add($"Optimizer is {(int)options.Optimizer}, which is not an OptimizerType; use Adam or AdamW.");
        }

        if (!(options.WeightDecay >= 0 && options.WeightDecay <= 1))
        {
            failures.Add($"WeightDecay is {options.WeightDecay}; it must lie in [0, 1] (AdamW commonly uses 0.01).");
        }

        if (!(options.AdamBeta1 >= 0 && options.AdamBeta1 < 1))
        {
            failures.Add($"AdamBeta1 is {options.AdamBeta1}; it must lie in [0, 1).");
        }

        if (!(options.AdamBeta2 >= 0 && options.AdamBeta2 < 1))
        {
            failures.Add($"AdamBeta2 is {options.AdamBeta2}; it must lie in [0, 1).");
        }

        if (!(options.AdamEpsilon > 0 && options.AdamEpsilon <= 1))
        {
            failures.Add($"AdamEpsilon is {options.AdamEpsilon}; it must be greater than 0 and at most 1.");
        }

        if (options.WarmupSteps < 0)
        {
            failures.Add($"WarmupSteps is {options.WarmupSteps}; it must be 0 or more.");
        }
        else if (options.WarmupSteps > 0 && options.MaxSteps is long maxSteps and >= 1 && options.WarmupSteps >= maxSteps)
        {
            failures.Add($"WarmupSteps is {options.WarmupSteps} but the run has only MaxSteps = {maxSteps} steps; the warm-up must be shorter than the run.");
        }

        if (!Enum.IsDefined(options.LearningRateSchedule))
        {
            failures.Add($"LearningRateSchedule is {(int)options.LearningRateSchedule}, which is not a LearningRateSchedule; use Constant or Cosine.");
        }

        if (!(options.MinLearningRate >= 0 && (options.MinLearningRate <= options.LearningRate || !(options.LearningRate > 0))))
        {
            failures.Add($"MinLearningRate is {options.MinLearningRate}; it must lie in [0, LearningRate = {options.LearningRate}].");
        }

        if (options.MaxGradNorm is double norm && !(norm > 0 && double.IsFinite(norm)))
        {
            failures.Add($"MaxGradNorm is {norm}; it must be null (no clipping) or a finite number greater than 0, for example 1.0.");
        }

        if (options.GradientAccumulationSteps is < 1 or > 4096)
        {
            failures.Add($"GradientAccumulationSteps is {options.GradientAccumulationSteps}; it must lie in [1, 4096].");
        }

        if (options.Ema is null)
        {
            failures.Add("Ema is null; use new EmaOptions { Enabled = false } to switch the average off.");
        }
        else
        {
            if (!(options.Ema.MaxDecay >= 0 && options.Ema.MaxDecay < 1))
            {
                failures.Add($"Ema.MaxDecay is {options.Ema.MaxDecay}; it must lie in [0, 1), for example 0.9999.");
            }

            if (!(options.Ema.Power > 0 && options.Ema.Power <= 10))
            {
                failures.Add($"Ema.Power is {options.Ema.Power}; it must lie in (0, 10], for example 0.75.");
            }

            if (!(options.Ema.InverseGamma > 0 && options.Ema.InverseGamma <= 1e9))
            {
                failures.Add($"Ema.InverseGamma is {options.Ema.InverseGamma}; it must lie in (0, 10^9], for example 1.");
            }

            if (options.Ema.StartStep < 0)
            {
                failures.Add($"Ema.StartStep is {options.Ema.StartStep}; it must be 0 or more.");
            }

            if (options.Ema.UpdateInterval is < 1 or > 10_000)
            {
                failures.Add($"Ema.UpdateInterval is {options.Ema.UpdateInterval}; it must lie in [1, 10000].");
            }
        }

        if (options.MinSnrGamma is double gamma && !(gamma > 0 && double.IsFinite(gamma)))
        {
            failures.Add($"MinSnrGamma is {gamma}; it must be null (no weighting) or a finite number greater than 0, for example 5.");
        }

        if (!(options.LabelDropout >= 0 && options.LabelDropout < 1))
        {
            failures.Add($"LabelDropout is {options.LabelDropout}; it must lie in [0, 1), for example 0.1.");
        }

        if (options.PrefetchBatches is < 0 or > 64)
        {
            failures.Add($"PrefetchBatches is {options.PrefetchBatches}; it must lie in [0, 64].");
        }

        if (options.CheckpointDirectory is not null && string.IsNullOrWhiteSpace(options.CheckpointDirectory))
        {
            failures.Add("CheckpointDirectory is blank; give a folder, or null for no checkpoints.");
        }

        if (options.CheckpointInterval is < 1 or > 1_000_000_000)
        {
            failures.Add($"CheckpointInterval is {options.CheckpointInterval}; it must lie in [1, 10^9].");
        }

        if (options.CheckpointsToKeep is < 1 or > 1000)
        {
            failures.Add($"CheckpointsToKeep is {options.CheckpointsToKeep}; it must lie in [1, 1000].");
        }

        if (options.FineTuneFrom is not null && !File.Exists(options.FineTuneFrom))
        {
            failures.Add($"FineTuneFrom is '{options.FineTuneFrom}', which is not a file; give a checkpoint written by Ddpm.Core.");
        }

        if (options.SampleInterval is < 1 or > 1_000_000_000)
        {
            failures.Add($"SampleInterval is {options.SampleInterval}; it must be null (no previews) or lie in [1, 10^9].");
        }

        if (options.SampleCount is < 1 or > 1024)
        {
            failures.Add($"SampleCount is {options.SampleCount}; it must lie in [1, 1024].");
        }

        if (options.SampleInterval is not null && options.SampleDirectory is null && options.CheckpointDirectory is null && options.TensorBoardDirectory is null)
        {
            failures.Add("SampleInterval is set but SampleDirectory, CheckpointDirectory and TensorBoardDirectory are all null; set one so the grids have somewhere to go.");
        }

        if (options.PreviewSampling is null)
        {
            failures.Add("PreviewSampling is null; use new DdpmSamplerOptions().");
        }
        else
        {
            ValidateOptionsResult sampling = new DdpmSamplerOptionsValidator().Validate(name, options.PreviewSampling);
            if (sampling.Failed)
            {
                failures.AddRange(sampling.Failures.Select(f => $"PreviewSampling.{f}"));
            }
            else if (options.PreviewSampling.Steps is int steps && options.Timesteps >= 1 && steps > options.Timesteps)
            {
                failures.Add($"PreviewSampling.Steps is {steps} but Timesteps (T) is {options.Timesteps}; a sampler cannot take more steps than T, so use at most {options.Timesteps}.");
            }
        }

        if (options.LogInterval is < 1 or > 1_000_000)
        {
            failures.Add($"LogInterval is {options.LogInterval}; it must lie in [1, 1000000].");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The first timestep whose ᾱ_t = ∏(1 - β_s) is 0 for these betas, or null (also when the schedule cannot give T betas; the trainer reports that).</summary>
    private static int? PureNoiseStep(IBetaSchedule schedule, int timesteps)
    {
        double[] betas;
        try
        {
            betas = schedule.GetBetas(timesteps);
        }
        catch (ArgumentException)
        {
            return null;
        }

        double alphaBar = 1;
        for (int t = 0; t < betas.Length; t++)
        {
            alphaBar *= 1 - betas[t];
            if (alphaBar == 0)
            {
                return t;
            }
        }

        return null;
    }
}
