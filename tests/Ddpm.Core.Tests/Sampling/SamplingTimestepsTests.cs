using Ddpm.Core.Sampling;
using FluentAssertions;

namespace Ddpm.Core.Tests.Sampling;

public sealed class SamplingTimestepsTests
{
    public static TheoryData<int, int> Sizes => new()
    {
        { 1000, 50 }, { 1000, 1000 }, { 1000, 999 }, { 1000, 3 }, { 300, 50 }, { 300, 7 }, { 300, 299 }, { 10, 10 }, { 10, 1 }, { 1, 1 }, { 7, 3 },
        // T · S above 2^31: the products k · (T - 1) and i · T overflow 32 bits.
        { 100_000, 100_000 }, { 100_000, 99_999 }, { 65_536, 40_000 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_spacing_gives_exactly_S_distinct_descending_timesteps_within_range(int timesteps, int steps)
    {
        foreach (TimestepSpacing spacing in Enum.GetValues<TimestepSpacing>())
        {
            int[] chosen = SamplingTimesteps.Create(timesteps, steps, spacing);

            chosen.Should().HaveCount(steps, spacing.ToString());
            chosen.Should().BeInDescendingOrder(spacing.ToString()).And.OnlyHaveUniqueItems(spacing.ToString());
            chosen.Should().OnlyContain(t => t >= 0 && t < timesteps, spacing.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Linspace_and_leading_end_at_zero_and_trailing_starts_at_T_minus_one(int timesteps, int steps)
    {
        SamplingTimesteps.Create(timesteps, steps, TimestepSpacing.Linspace)[^1].Should().Be(0);
        SamplingTimesteps.Create(timesteps, steps, TimestepSpacing.Leading)[^1].Should().Be(0);
        SamplingTimesteps.Create(timesteps, steps, TimestepSpacing.Trailing)[0].Should().Be(timesteps - 1);
        if (steps > 1)
        {
            SamplingTimesteps.Create(timesteps, steps, TimestepSpacing.Linspace)[0].Should().Be(timesteps - 1);
        }
    }

    [Fact]
    public void The_spacings_match_the_definitions_of_Lin_et_al()
    {
        // T = 1000, S = 10 (Lin et al. 2024, Table 2).
        SamplingTimesteps.Create(1000, 10, TimestepSpacing.Linspace).Should().Equal(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
        SamplingTimesteps.Create(1000, 10, TimestepSpacing.Leading).Should().Equal(900, 800, 700, 600, 500, 400, 300, 200, 100, 0);
        SamplingTimesteps.Create(1000, 10, TimestepSpacing.Trailing).Should().Equal(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
    }

    [Fact]
    public void Linspace_steps_are_not_uniform_and_that_is_fine()
    {
        // The case diffusers issue 12633 is about: the stride varies between 3 and 4.
        int[] chosen = SamplingTimesteps.Create(300, 90, TimestepSpacing.Linspace);
        var strides = chosen.Zip(chosen.Skip(1), (a, b) => a - b).Distinct().Order().ToArray();

        strides.Should().Equal(3, 4);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 11)]
    public void Step_counts_outside_one_to_T_are_rejected(int timesteps, int steps)
    {
        var act = () => SamplingTimesteps.Create(timesteps, steps, TimestepSpacing.Trailing);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[1, T = 10]*");
    }
}
