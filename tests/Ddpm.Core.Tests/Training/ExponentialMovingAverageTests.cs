using Ddpm.Core.Training;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

public sealed class ExponentialMovingAverageTests
{
    [Fact]
    public void The_decay_warms_up_from_zero_and_is_capped()
    {
        var ema = new ExponentialMovingAverage(nn.Linear(2, 2), nn.Linear(2, 2), new EmaOptions { MaxDecay = 0.999, Power = 0.75 });

        ema.DecayAt(1).Should().Be(0, "the first update copies the weights");
        ema.DecayAt(2).Should().BeApproximately(1 - Math.Pow(2, -0.75), 1e-12);
        ema.DecayAt(141).Should().BeApproximately(1 - Math.Pow(141, -0.75), 1e-12);
        ema.DecayAt(10_000_000).Should().Be(0.999);
    }

    [Fact]
    public void A_plain_0995_decay_would_keep_half_the_initial_weights_after_140_steps_but_the_warm_up_does_not()
    {
        // DESIGN.md: 0.995^140 ≈ 0.50. With warm-up the initial weights' share is the product of the decays.
        double plain = Math.Pow(0.995, 140);
        var ema = new ExponentialMovingAverage(nn.Linear(1, 1), nn.Linear(1, 1), new EmaOptions { MaxDecay = 0.995 });
        double share = 1;
        for (long step = 1; step <= 140; step++)
        {
            share *= ema.DecayAt(step);
        }

        plain.Should().BeApproximately(0.4954, 1e-3);
        share.Should().Be(0, "the first update has decay 0 and replaces the initial weights entirely");
    }

    [Fact]
    public void After_the_warm_up_the_average_follows_the_weights_as_the_decay_says()
    {
        using var source = nn.Linear(3, 2);
        using var average = nn.Linear(3, 2);
        var ema = new ExponentialMovingAverage(source, average, new EmaOptions { MaxDecay = 0.9 });
        var history = new List<float[]>();
        using var generator = new Generator(3);

        for (long step = 1; step <= 60; step++)
        {
            using (no_grad())
            {
                source.weight!.copy_(randn(2, 3, generator: generator));
            }

            history.Add(source.weight!.data<float>().ToArray());
            ema.Update(step);
        }

        // Recompute θ_ema = d_s θ_ema + (1 - d_s) θ_s in double from the recorded weights.
        var expected = new double[6];
        for (int s = 0; s < history.Count; s++)
        {
            double d = ema.DecayAt(s + 1);
            for (int i = 0; i < 6; i++)
            {
                expected[i] = (d * expected[i]) + ((1 - d) * history[s][i]);
            }
        }

        float[] actual = average.weight!.data<float>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            actual[i].Should().BeApproximately((float)expected[i], 1e-5f);
        }

        ema.DecayAt(60).Should().Be(0.9, "by step 60 the warm-up has reached the cap");
        average.weight!.requires_grad.Should().BeFalse();
    }

    [Fact]
    public void Mismatched_networks_are_rejected()
    {
        var act = () => new ExponentialMovingAverage(nn.Linear(3, 2), nn.Linear(3, 4), new EmaOptions());

        act.Should().Throw<ArgumentException>().WithMessage("*'weight' of shape [2, 3]*trained network's architecture*");
    }
}
