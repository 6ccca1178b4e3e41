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

        if (options.Network is null)
        {
            failures.Add("Network is null; use a network configuration such as new SimpleUNetConfiguration().");
        }

        if (options.LogInterval is < 1 or > 1_000_000)
        {
            failures.Add($"LogInterval is {options.LogInterval}; it must lie in [1, 1000000].");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
