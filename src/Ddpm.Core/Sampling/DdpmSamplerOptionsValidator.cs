using Ddpm.Core.Sampling.Methods;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.Sampling;

/// <summary>Checks <see cref="DdpmSamplerOptions"/>; each failure names the option, its value and the allowed range.</summary>
public sealed class DdpmSamplerOptionsValidator : IValidateOptions<DdpmSamplerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DdpmSamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Device is not null && TorchDevices.Describe(options.Device) is string problem)
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

        if (options.BatchSize is < 1 or > 65_536)
        {
            failures.Add($"BatchSize is {options.BatchSize}; it must lie in [1, 65536].");
        }

        if (options.BatchNormMode is { } batchNormMode && !Enum.IsDefined(batchNormMode))
        {
            failures.Add($"BatchNormMode is {(int)batchNormMode}, which is not a BatchNormMode; use RunningStatistics or BatchStatistics.");
        }

        if (!Enum.IsDefined(options.Weights))
        {
            failures.Add($"Weights is {(int)options.Weights}, which is not a ModelWeights; use Ema or Trained.");
        }

        if (options.Method is { } method && !Enum.IsDefined(method))
        {
            failures.Add($"Method is {(int)method}, which is not a SamplingMethod; use Ddpm, Ddim, DpmSolverPlusPlus2M, Euler, EulerAncestral or Heun.");
        }

        if (options.Method is not null && options.CustomMethod is not null)
        {
            failures.Add($"Method is {options.Method} and CustomMethod is {options.CustomMethod.Name}; set one of them.");
        }

        if (options.Steps is < 1 or > 100_000)
        {
            failures.Add($"Steps is {options.Steps}; it must be null or lie in [1, T] (T is the model's number of timesteps).");
        }

        if (!Enum.IsDefined(options.Spacing))
        {
            failures.Add($"Spacing is {(int)options.Spacing}, which is not a TimestepSpacing; use Linspace, Leading, Trailing or Karras.");
        }

        if (!(options.Eta >= 0 && options.Eta <= 1))
        {
            failures.Add($"Eta is {options.Eta}; it must lie in [0, 1] (0: deterministic DDIM; 1: DDPM's noise).");
        }

        if (!Enum.IsDefined(options.Variance))
        {
            failures.Add($"Variance is {(int)options.Variance}, which is not a VarianceType; use FixedSmall or FixedLarge.");
        }

        if (options.DynamicThresholdingPercentile is double p && !(p > 0 && p < 1))
        {
            failures.Add($"DynamicThresholdingPercentile is {p}; it must be null or lie in (0, 1), for example 0.995.");
        }

        if (options.DynamicThresholdingPercentile is not null && options.ClipPredictedSample == true)
        {
            failures.Add("DynamicThresholdingPercentile and ClipPredictedSample are both set; choose one way of bounding x̂_0.");
        }

        if (options.Classes is { Count: 0 } || options.Classes?.Any(c => c < 0) == true)
        {
            failures.Add("Classes must be null or hold at least one non-negative class label.");
        }

        if (!(options.GuidanceScale >= 0 && options.GuidanceScale <= 100))
        {
            failures.Add($"GuidanceScale is {options.GuidanceScale}; it must lie in [0, 100] (1: no guidance; 3 to 7 is typical).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
