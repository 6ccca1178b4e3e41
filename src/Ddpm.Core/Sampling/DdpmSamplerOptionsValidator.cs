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

        if (options.Seed is < 0)
        {
            failures.Add($"Seed is {options.Seed}; it must be null or a non-negative integer.");
        }

        if (options.BatchSize is < 1 or > 65_536)
        {
            failures.Add($"BatchSize is {options.BatchSize}; it must lie in [1, 65536].");
        }

        if (!Enum.IsDefined(options.BatchNormMode))
        {
            failures.Add($"BatchNormMode is {(int)options.BatchNormMode}, which is not a BatchNormMode; use RunningStatistics or BatchStatistics.");
        }

        if (!Enum.IsDefined(options.Weights))
        {
            failures.Add($"Weights is {(int)options.Weights}, which is not a ModelWeights; use Ema or Trained.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
