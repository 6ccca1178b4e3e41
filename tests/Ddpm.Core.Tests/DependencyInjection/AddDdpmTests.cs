using Ddpm.Core.DependencyInjection;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ddpm.Core.Tests.DependencyInjection;

public sealed class AddDdpmTests
{
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
