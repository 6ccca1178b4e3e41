using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using FluentAssertions;

namespace Ddpm.Core.Tests.Training;

/// <summary>A trainer and a sampler keep a validated copy of their options: later changes to the caller's instance reach neither, and cannot skip validation.</summary>
public sealed class OptionsSnapshotTests
{
    [Fact]
    public void Changing_the_trainer_options_after_construction_changes_nothing()
    {
        var network = UNetPresets.Tiny(1);
        var options = new DdpmTrainerOptions { BatchSize = 8, Network = network };
        var trainer = new DdpmTrainer(options);

        options.BatchSize = 0;
        options.Ema.MaxDecay = 7;
        options.PreviewSampling.BatchSize = 0;
        network.BaseChannels = 3;
        network.ChannelMultipliers = [5];

        trainer.Options.Should().NotBeSameAs(options);
        trainer.Options.BatchSize.Should().Be(8);
        trainer.Options.Ema.MaxDecay.Should().Be(0.9999);
        trainer.Options.PreviewSampling.BatchSize.Should().Be(64);
        var kept = trainer.Options.Network.Should().BeOfType<UNetConfiguration>().Which;
        kept.Should().NotBeSameAs(network);
        kept.BaseChannels.Should().Be(16);
        kept.ChannelMultipliers.Should().Equal(1, 2);
    }

    [Fact]
    public void Changing_the_sampler_options_after_construction_changes_nothing()
    {
        var classes = new List<int> { 1, 2 };
        var options = new DdpmSamplerOptions { BatchSize = 4, Classes = classes };
        var sampler = new DdpmSampler(options);

        options.BatchSize = 0;
        classes.Add(3);

        sampler.Options.BatchSize.Should().Be(4);
        sampler.Options.Classes.Should().Equal(1, 2);
    }
}
