using Ddpm.Core.Diffusion;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
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
        foreach (TimestepSpacing spacing in Enum.GetValues<TimestepSpacing>().Where(s => s != TimestepSpacing.Karras))
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

    public static TheoryData<string, int, int> KarrasCases => new()
    {
        { "linear", 1000, 10 }, { "linear", 1000, 50 }, { "linear", 1000, 999 }, { "linear", 1000, 1000 }, { "linear", 300, 2 }, { "linear", 300, 1 },
        { "cosine", 1000, 20 }, { "cosine", 4000, 100 }, { "zero-terminal-snr", 1000, 20 }, { "zero-terminal-snr", 1000, 1000 }, { "linear", 1, 1 }, { "linear", 2, 2 },
    };

    [Theory]
    [MemberData(nameof(KarrasCases))]
    public void Karras_spacing_gives_S_distinct_descending_timesteps_from_T_minus_one_down_to_zero(string schedule, int timesteps, int steps)
    {
        IBetaSchedule betas = schedule switch
        {
            "cosine" => KnownBetaSchedules.Cosine,
            "zero-terminal-snr" => new ZeroTerminalSnrSchedule(KnownBetaSchedules.Linear),
            _ => KnownBetaSchedules.Linear,
        };
        using var scheduler = new NoiseScheduler(betas, timesteps);

        int[] chosen = SamplingTimesteps.Create(scheduler, steps, TimestepSpacing.Karras);

        chosen.Should().HaveCount(steps).And.BeInDescendingOrder().And.OnlyHaveUniqueItems();
        chosen[0].Should().Be(timesteps - 1);
        chosen[^1].Should().Be(steps == 1 ? timesteps - 1 : 0);
    }

    [Fact]
    public void Karras_spacing_follows_equation_5_with_rho_7_rounded_in_log_sigma()
    {
        // T = 1000 linear betas: σ_i = (σ_max^{1/7} + i/(S-1) (σ_min^{1/7} - σ_max^{1/7}))^7, each at the timestep nearest
        // in log σ; computed separately in float64 Python. The steps crowd towards low noise, unlike Trailing's 999, 899, ...
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 1000);

        SamplingTimesteps.Create(scheduler, 10, TimestepSpacing.Karras).Should().Equal(999, 937, 864, 775, 663, 511, 301, 102, 18, 0);
        SamplingTimesteps.Create(scheduler, 20, TimestepSpacing.Karras).Should().Equal(
            999, 971, 940, 908, 872, 833, 790, 743, 689, 627, 556, 472, 373, 265, 164, 88, 41, 16, 4, 0);
    }

    [Fact]
    public void Karras_spacing_without_the_schedule_is_refused_with_the_overload_to_call()
    {
        var act = () => SamplingTimesteps.Create(1000, 10, TimestepSpacing.Karras);

        act.Should().Throw<ArgumentException>().WithParameterName("spacing").WithMessage("*Create(scheduler, steps, TimestepSpacing.Karras)*");
    }

    [Fact]
    public void The_scheduler_overload_gives_the_T_only_spacings_unchanged()
    {
        using var scheduler = new NoiseScheduler(KnownBetaSchedules.Cosine, 300);

        foreach (TimestepSpacing spacing in new[] { TimestepSpacing.Linspace, TimestepSpacing.Leading, TimestepSpacing.Trailing })
        {
            SamplingTimesteps.Create(scheduler, 17, spacing).Should().Equal(SamplingTimesteps.Create(300, 17, spacing), spacing.ToString());
        }
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
