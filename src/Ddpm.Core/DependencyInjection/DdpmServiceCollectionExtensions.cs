using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.DependencyInjection;

/// <summary>
/// Registers Ddpm.Core with a service container: validated <see cref="DdpmTrainerOptions"/> and
/// <see cref="DdpmSamplerOptions"/> (checked when the host starts), a <see cref="DdpmTrainer"/>
/// and <see cref="DdpmSampler"/> built from them, and one <see cref="SamplingQueue"/> (one call at a time;
/// register your own first for another size). <see cref="AddDdpmModel"/> adds a model to serve. Every
/// class works without a container too.
/// </summary>
public static class DdpmServiceCollectionExtensions
{
    /// <summary>The configuration section <c>AddDdpm(services, configuration)</c> reads when given a whole configuration: <c>Ddpm</c>.</summary>
    public const string SectionName = "Ddpm";

    /// <summary>Adds the trainer and sampler with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureTrainer">Sets the trainer's options; null keeps the defaults.</param>
    /// <param name="configureSampler">Sets the sampler's options; null keeps the defaults.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddDdpm(this IServiceCollection services, Action<DdpmTrainerOptions>? configureTrainer = null, Action<DdpmSamplerOptions>? configureSampler = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services);
        if (configureTrainer is not null)
        {
            services.Configure(configureTrainer);
        }

        if (configureSampler is not null)
        {
            services.Configure(configureSampler);
        }

        return services;
    }

    /// <summary>
    /// Adds the trainer and sampler with options bound from configuration: the <c>Trainer</c> and
    /// <c>Sampler</c> subsections of the <c>Ddpm</c> section (or of <paramref name="configuration"/>
    /// itself when it has no <c>Ddpm</c> section), for example <c>"Ddpm": { "Trainer": { "BatchSize": 64 } }</c>
    /// in appsettings.json. Numbers, strings, booleans and enum names bind; the network and the beta
    /// schedule are objects: set them in code with the <paramref name="configureTrainer"/> callback,
    /// which runs after binding. A key that names no option (a misspelling such as <c>BatchSzie</c>) fails
    /// when the options are first built, at host start, naming the key and the nearest valid one.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration, or its <c>Ddpm</c> section.</param>
    /// <param name="configureTrainer">Adjusts the trainer's options after binding; null for none.</param>
    /// <param name="configureSampler">Adjusts the sampler's options after binding; null for none.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="OptionsValidationException">At host start (or first use): a key names no option.</exception>
    public static IServiceCollection AddDdpm(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<DdpmTrainerOptions>? configureTrainer = null,
        Action<DdpmSamplerOptions>? configureSampler = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection named = configuration.GetSection(SectionName);
        IConfiguration section = named.Exists() ? named : configuration;
        AddCore(services);
        IConfigurationSection trainer = section.GetSection("Trainer");
        IConfigurationSection sampler = section.GetSection("Sampler");
        services.AddOptions<DdpmTrainerOptions>().Configure(_ => ConfigurationKeys.Check(trainer, typeof(DdpmTrainerOptions))).Bind(trainer);
        services.AddOptions<DdpmSamplerOptions>().Configure(_ => ConfigurationKeys.Check(sampler, typeof(DdpmSamplerOptions))).Bind(sampler);
        if (configureTrainer is not null)
        {
            services.Configure(configureTrainer);
        }

        if (configureSampler is not null)
        {
            services.Configure(configureSampler);
        }

        return services;
    }

    /// <summary>
    /// Adds a <see cref="DdpmModel"/> loaded from <paramref name="path"/> as a singleton, for a service that samples it:
    /// loaded once, when first resolved (resolve it at start-up to load it then), shared by every request (sampling
    /// never changes it, from any number of threads), and disposed with the container at shutdown.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="path">A model or checkpoint file, or a checkpoint folder (its newest readable checkpoint); see <see cref="DdpmModel.Load"/>.</param>
    /// <param name="device">Where to put it: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. The default value is <c>cpu</c>.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddDdpmModel(this IServiceCollection services, string path, string device = "cpu")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        services.TryAddSingleton(_ => DdpmModel.Load(path, device));
        return services;
    }

    /// <summary>The services every overload adds; a second AddDdpm call adds none of them again (its configuration still applies).</summary>
    private static void AddCore(IServiceCollection services)
    {
        services.AddOptions<DdpmTrainerOptions>().ValidateOnStart();
        services.AddOptions<DdpmSamplerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DdpmTrainerOptions>, DdpmTrainerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DdpmSamplerOptions>, DdpmSamplerOptionsValidator>());
        services.TryAddTransient(provider => new DdpmTrainer(
            provider.GetRequiredService<IOptions<DdpmTrainerOptions>>().Value, provider.GetService<ILogger<DdpmTrainer>>()));
        services.TryAddTransient(provider => new DdpmSampler(
            provider.GetRequiredService<IOptions<DdpmSamplerOptions>>().Value, provider.GetService<ILogger<DdpmSampler>>()));
        services.TryAddSingleton(_ => new SamplingQueue());
    }
}
