using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Ddpm.FashionMnist;
using FluentAssertions;

namespace Ddpm.Cli.Tests;

/// <summary>The quality bar program's trainer options (samples/Ddpm.FashionMnist).</summary>
public sealed class QualityBarTests
{
    [Fact]
    public void The_full_bar_warms_up_for_100_steps_of_a_cosine_decay()
    {
        DdpmTrainerOptions options = QualityBar.TrainerOptions(BarArguments.Parse([]), "checkpoints");

        options.WarmupSteps.Should().Be(100);
        options.LearningRateSchedule.Should().Be(LearningRateSchedule.Cosine);
        new DdpmTrainerOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100)]
    public void A_run_cut_below_the_warm_up_still_has_valid_options(long maxSteps)
    {
        // Before: --max-steps 3 stopped with "WarmupSteps is 100 but the run has only MaxSteps = 3 steps".
        DdpmTrainerOptions options = QualityBar.TrainerOptions(BarArguments.Parse(["--max-steps", maxSteps.ToString(System.Globalization.CultureInfo.InvariantCulture)]), "checkpoints");

        var result = new DdpmTrainerOptionsValidator().Validate(null, options);

        result.Succeeded.Should().BeTrue(result.FailureMessage);
        options.WarmupSteps.Should().BeLessThan((int)maxSteps);
    }

    [Fact]
    public void The_bar_samples_with_the_librarys_default_unless_told()
    {
        BarArguments defaults = BarArguments.Parse([]);
        BarArguments chosen = BarArguments.Parse(["--sampler", "dpm++2m", "--sampling-steps", "10"]);

        defaults.Sampler.Should().BeNull("null follows SamplingDefaults.Method for the model");
        defaults.SamplingSteps.Should().BeNull("null takes the method's own step count");
        chosen.Sampler.Should().Be(SamplingMethod.DpmSolverPlusPlus2M);
        chosen.SamplingSteps.Should().Be(10);
        BarArguments.Parse(["--sampler", "euler-a"]).Sampler.Should().Be(SamplingMethod.EulerAncestral);
    }

    [Fact]
    public void An_unknown_sampler_is_refused_with_the_valid_names()
    {
        Action parse = () => BarArguments.Parse(["--sampler", "dpm-solver"]);

        parse.Should().Throw<ArgumentException>().WithMessage("--sampler is 'dpm-solver'; use one of *ddim*dpm++2m*euler-a*heun*");
    }
}
