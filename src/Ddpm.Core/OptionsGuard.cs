using Microsoft.Extensions.Options;

namespace Ddpm.Core;

/// <summary>Runs an options validator outside dependency injection, throwing as ValidateOnStart would.</summary>
internal static class OptionsGuard
{
    public static TOptions Validated<TOptions>(TOptions options, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        ValidateOptionsResult result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(typeof(TOptions).Name, typeof(TOptions), result.Failures);
        }

        return options;
    }
}
