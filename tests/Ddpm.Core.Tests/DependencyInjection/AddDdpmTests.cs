using Ddpm.Core.DependencyInjection;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.Tests.DependencyInjection;

public sealed class AddDdpmTests
{
    [Fact]
    public void A_registered_model_is_loaded_once_shared_and_disposed_with_the_container()
    {
        using var folder = new TempDirectory();
        string path = folder.File("served.ddpm");
        using (DdpmModel saved = TinyModels.Untrained(timesteps: 10))
        {
            saved.Save(path);
        }

        DdpmModel model;
        using (ServiceProvider provider = new ServiceCollection().AddDdpm().AddDdpmModel(path).BuildServiceProvider())
        {
            model = provider.GetRequiredService<DdpmModel>();
            provider.GetRequiredService<DdpmModel>().Should().BeSameAs(model);
            provider.GetRequiredService<SamplingQueue>().Should().BeSameAs(provider.GetRequiredService<SamplingQueue>()).And.Match<SamplingQueue>(q => q.MaxConcurrency == 1);
            model.Scheduler.Timesteps.Should().Be(10);
        }

        var use = () => model.Network.parameters().First().sum();
        use.Should().Throw<InvalidOperationException>("the container disposed the model it created");
    }

    [Fact]
    public void Options_set_in_code_reach_the_resolved_trainer_and_sampler()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddDdpm(trainer => trainer.BatchSize = 16, sampler => sampler.Method = SamplingMethod.Ddim)
            .BuildServiceProvider();

        provider.GetRequiredService<DdpmTrainer>().Options.BatchSize.Should().Be(16);
        provider.GetRequiredService<DdpmSampler>().Options.Method.Should().Be(SamplingMethod.Ddim);
    }

    [Fact]
    public void Adding_twice_registers_each_service_and_validator_once_and_keeps_both_configurations()
    {
        var services = new ServiceCollection()
            .AddDdpm(trainer => trainer.BatchSize = 16)
            .AddDdpm(trainer => trainer.Epochs = 3);

        services.Count(d => d.ServiceType == typeof(IValidateOptions<DdpmTrainerOptions>)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IValidateOptions<DdpmSamplerOptions>)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(DdpmTrainer)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(DdpmSampler)).Should().Be(1);
        using ServiceProvider provider = services.BuildServiceProvider();
        DdpmTrainerOptions options = provider.GetRequiredService<DdpmTrainer>().Options;
        (options.BatchSize, options.Epochs).Should().Be((16, 3));
    }

    [Fact]
    public void Options_bind_from_the_Ddpm_section_of_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ddpm:Trainer:BatchSize"] = "64",
            ["Ddpm:Trainer:Epochs"] = "5",
            ["Ddpm:Trainer:Loss"] = "Huber",
            ["Ddpm:Sampler:Method"] = "Ddim",
            ["Ddpm:Sampler:Steps"] = "50",
        }).Build();

        using ServiceProvider provider = new ServiceCollection()
            .AddDdpm(configuration, trainer => trainer.Schedule = KnownBetaSchedules.Cosine)
            .BuildServiceProvider();

        DdpmTrainerOptions trainerOptions = provider.GetRequiredService<IOptions<DdpmTrainerOptions>>().Value;
        trainerOptions.BatchSize.Should().Be(64);
        trainerOptions.Epochs.Should().Be(5);
        trainerOptions.Loss.Should().Be(LossType.Huber);
        trainerOptions.Schedule.Should().BeSameAs(KnownBetaSchedules.Cosine, "objects are set in code after binding");
        provider.GetRequiredService<DdpmSampler>().Options.Steps.Should().Be(50);
    }

    [Fact]
    public void Misspelled_configuration_keys_fail_naming_the_key_and_the_nearest_option()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ddpm:Trainer:BatchSzie"] = "64",
            ["Ddpm:Trainer:Epoch"] = "5",
            ["Ddpm:Trainer:Ema:MaxDecy"] = "0.99",
            ["Ddpm:Trainer:Schedule"] = "cosine",
            ["Ddpm:Trainer:Colour"] = "red",
            ["Ddpm:Sampler:Stpes"] = "50",
        }).Build();

        using ServiceProvider provider = new ServiceCollection().AddDdpm(configuration).BuildServiceProvider();

        var trainer = () => provider.GetRequiredService<IOptions<DdpmTrainerOptions>>().Value;
        var sampler = () => provider.GetRequiredService<IOptions<DdpmSamplerOptions>>().Value;
        OptionsValidationException failure = trainer.Should().Throw<OptionsValidationException>().Which;
        failure.Failures.Should().HaveCount(5);
        failure.Failures.Should().Contain(f => f.StartsWith("Ddpm:Trainer:BatchSzie is not an option of DdpmTrainerOptions; did you mean BatchSize?", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("Ddpm:Trainer:Epoch is not an option of DdpmTrainerOptions; did you mean Epochs?", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("Ddpm:Trainer:Ema:MaxDecy is not an option of EmaOptions; did you mean MaxDecay?", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("Ddpm:Trainer:Schedule is an object (IBetaSchedule) that configuration cannot build; set DdpmTrainerOptions.Schedule in code", StringComparison.Ordinal));
        failure.Failures.Should().Contain(f => f.StartsWith("Ddpm:Trainer:Colour is not an option of DdpmTrainerOptions. Its options: ", StringComparison.Ordinal), "nothing is near enough to suggest");
        sampler.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("Ddpm:Sampler:Stpes is not an option of DdpmSamplerOptions; did you mean Steps?");
    }

    [Fact]
    public void The_configuration_overload_takes_a_sampler_callback_that_runs_after_binding()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ddpm:Sampler:Steps"] = "50",
            ["Ddpm:Sampler:Seed"] = "3",
            ["Ddpm:Trainer:Ema:MaxDecay"] = "0.99",
        }).Build();

        using ServiceProvider provider = new ServiceCollection()
            .AddDdpm(configuration, configureSampler: sampler => sampler.Steps = 20)
            .BuildServiceProvider();

        DdpmSamplerOptions options = provider.GetRequiredService<DdpmSampler>().Options;
        (options.Steps, options.Seed).Should().Be((20, 3));
        provider.GetRequiredService<DdpmTrainer>().Options.Ema.MaxDecay.Should().Be(0.99, "nested options bind and pass the key check");
    }

    [Fact]
    public void Invalid_options_fail_with_a_message_naming_them()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddDdpm(trainer => trainer.BatchSize = 0, sampler => sampler.Eta = 2)
            .BuildServiceProvider();

        // A host validates both at start (ValidateOnStart); without one, the first use does.
        var trainer = () => provider.GetRequiredService<DdpmTrainer>();
        var sampler = () => provider.GetRequiredService<DdpmSampler>();

        trainer.Should().Throw<OptionsValidationException>().WithMessage("*BatchSize is 0*");
        sampler.Should().Throw<OptionsValidationException>().WithMessage("*Eta*2*");
    }
}
