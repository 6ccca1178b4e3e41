using Ddpm.Core.Kernels;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using Microsoft.Extensions.Logging;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>How the kernel path is chosen, forced, refused and reported, with a fake libtorch whose convolutions can be made wrong per path.</summary>
public sealed class CpuKernelSelectorTests
{
    private readonly RecordingLogger<CpuKernelSelectorTests> _logger = new();

    [Fact]
    public void A_healthy_machine_keeps_oneDNN_at_full_speed_checks_once_and_logs_no_warning()
    {
        var backend = new FakeKernelBackend();
        var selector = new CpuKernelSelector(backend, () => null);

        CpuKernelSelection selection = selector.Ensure(CpuKernelPath.Auto, bfloat16: false, _logger);
        CpuKernelSelection again = selector.Ensure(CpuKernelPath.Auto, bfloat16: false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnn);
        again.Should().BeSameAs(selection);
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false));
        selection.Check.Passed.Should().BeTrue();
        _logger.Entries.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
        _logger.Entries[0].Message.Should().StartWith("CPU kernels: oneDNN at the full instruction set, checked: ");
    }

    [Fact]
    public void Wrong_full_speed_kernels_fall_back_to_oneDNN_off_with_one_warning_naming_cause_and_choice()
    {
        var backend = new FakeKernelBackend { Faulty = [CpuKernelPath.OneDnn] };
        var selector = new CpuKernelSelector(backend, () => null);

        CpuKernelSelection selection = selector.Ensure(CpuKernelPath.Auto, bfloat16: false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnOff);
        selection.Attempts.Select(a => (a.Path, a.Passed)).Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnnOff, true));
        backend.Applied.Should().Be(CpuKernelPath.OneDnnOff);
        _logger.Entries.Should().ContainSingle();
        (LogLevel level, string message) = _logger.Entries[0];
        level.Should().Be(LogLevel.Warning);
        message.Should().Contain("oneDNN at the full instruction set failed the kernel check")
            .And.Contain("wrong: conv 1→24 3x3 s1 forward: error 0.01")
            .And.Contain("switched oneDNN off")
            .And.Contain("DDPM_CPU_KERNELS=onednn-sse41");
    }

    [Fact]
    public void A_CPU_that_hides_its_cache_topology_starts_from_oneDNN_limited_to_SSE41()
    {
        var backend = new FakeKernelBackend { CacheTopologyHidden = true };
        var selector = new CpuKernelSelector(backend, () => null);

        CpuKernelSelection selection = selector.Ensure(CpuKernelPath.Auto, bfloat16: false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnSse41);
        selection.CacheTopologyHidden.Should().BeTrue();
        backend.Checks.Should().Equal((CpuKernelPath.OneDnnSse41, false));
        _logger.Entries.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Warning);
        _logger.Entries[0].Message.Should().Contain("TestVendor family 99 model 1").And.Contain("0x8000001D").And.Contain("limits oneDNN to SSE4.1");
    }

    [Fact]
    public void When_the_SSE41_limit_fails_too_oneDNN_is_switched_off()
    {
        var backend = new FakeKernelBackend { CacheTopologyHidden = true, Faulty = [CpuKernelPath.OneDnnSse41] };

        CpuKernelSelection selection = new CpuKernelSelector(backend, () => null).Ensure(CpuKernelPath.Auto, false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnOff);
        selection.Reason.Should().StartWith("oneDNN limited to SSE4.1 failed the kernel check");
    }

    [Fact]
    public void When_no_path_passes_nothing_trains_and_the_error_lists_every_attempt()
    {
        var backend = new FakeKernelBackend { Faulty = [CpuKernelPath.OneDnn, CpuKernelPath.OneDnnOff] };
        var selector = new CpuKernelSelector(backend, () => null);

        var act = () => selector.Ensure(CpuKernelPath.Auto, false, _logger);

        act.Should().Throw<CpuKernelCheckException>()
            .WithMessage("No CPU kernel path computes correctly on this CPU (TestVendor family 99 model 1)*onednn: *wrong: conv*onednn-off: *wrong: conv*Use a GPU*")
            .Which.Attempts.Should().HaveCount(2);
        selector.Current.Should().BeNull();
    }

    [Fact]
    public void A_fallback_that_cannot_be_switched_on_is_reported_as_unusable_not_crashed_into()
    {
        var backend = new FakeKernelBackend
        {
            Faulty = [CpuKernelPath.OneDnn],
            Unusable = { [CpuKernelPath.OneDnnOff] = "this libtorch does not export at::Context::setUserEnabledMkldnn" },
        };

        var act = () => new CpuKernelSelector(backend, () => null).Ensure(CpuKernelPath.Auto, false, _logger);

        act.Should().Throw<CpuKernelCheckException>().WithMessage("*onednn-off: not usable: this libtorch does not export at::Context::setUserEnabledMkldnn*");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false));
    }

    [Fact]
    public void The_environment_variable_forces_a_path_which_is_still_checked()
    {
        var backend = new FakeKernelBackend();

        CpuKernelSelection selection = new CpuKernelSelector(backend, () => "OneDNN-Off").Ensure(CpuKernelPath.Auto, false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnOff);
        selection.Reason.Should().Be("DDPM_CPU_KERNELS=OneDNN-Off.");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnnOff, false));
    }

    [Fact]
    public void A_forced_path_that_computes_wrongly_is_refused()
    {
        var backend = new FakeKernelBackend { Faulty = [CpuKernelPath.OneDnn] };

        var act = () => new CpuKernelSelector(backend, () => "onednn").Ensure(CpuKernelPath.Auto, false, _logger);

        act.Should().Throw<CpuKernelCheckException>()
            .WithMessage("DDPM_CPU_KERNELS=onednn, but oneDNN at the full instruction set computes wrongly on this CPU (TestVendor family 99 model 1): *Use DDPM_CPU_KERNELS=auto*");
    }

    [Fact]
    public void A_forced_path_that_cannot_be_used_says_why()
    {
        var backend = new FakeKernelBackend { Unusable = { [CpuKernelPath.OneDnnSse41] = "the process was started with ONEDNN_MAX_CPU_ISA=AVX2, which oneDNN obeys instead" } };

        var act = () => new CpuKernelSelector(backend, () => null).Ensure(CpuKernelPath.OneDnnSse41, false, _logger);

        act.Should().Throw<CpuKernelCheckException>()
            .WithMessage("onednn-sse41 was asked for, but oneDNN limited to SSE4.1 cannot be used in this process: the process was started with ONEDNN_MAX_CPU_ISA=AVX2*");
    }

    [Fact]
    public void An_unknown_name_in_the_environment_variable_is_refused_with_the_names_that_work()
    {
        var act = () => new CpuKernelSelector(new FakeKernelBackend(), () => "mkldnn").Ensure(CpuKernelPath.Auto, false, _logger);

        act.Should().Throw<ArgumentException>()
            .WithMessage("The environment variable DDPM_CPU_KERNELS is 'mkldnn', which is not a CPU kernel path; use auto, onednn, onednn-avx, onednn-sse41 or onednn-off, or unset it.");
    }

    [Fact]
    public void An_instruction_set_limit_from_the_environment_is_respected_and_named()
    {
        var backend = new FakeKernelBackend { CacheTopologyHidden = true, IsaLimitFromEnvironment = "AVX2" };

        CpuKernelSelection selection = new CpuKernelSelector(backend, () => null).Ensure(CpuKernelPath.Auto, false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnn);
        selection.Reason.Should().Be("oneDNN, limited by ONEDNN_MAX_CPU_ISA=AVX2 from the environment, passed the kernel check.");
    }

    [Fact]
    public void Bfloat16_is_checked_once_when_first_asked_for_and_refused_when_wrong()
    {
        var backend = new FakeKernelBackend { FaultyInBFloat16 = [CpuKernelPath.OneDnn] };
        var selector = new CpuKernelSelector(backend, () => null);
        selector.Ensure(CpuKernelPath.Auto, false, _logger).BFloat16Checked.Should().BeFalse();

        var act = () => selector.Ensure(CpuKernelPath.Auto, true, _logger);

        act.Should().Throw<CpuKernelCheckException>().WithMessage("bfloat16 training was asked for, but the CPU's bfloat16 kernels compute wrongly*Train in Float32*");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnn, true));
        selector.Current!.Path.Should().Be(CpuKernelPath.OneDnn, "float32 training on the path stays possible");
    }

    [Fact]
    public void Bfloat16_that_passes_is_recorded_on_the_selection()
    {
        var backend = new FakeKernelBackend();
        var selector = new CpuKernelSelector(backend, () => null);
        selector.Ensure(CpuKernelPath.Auto, false, _logger);

        CpuKernelSelection selection = selector.Ensure(CpuKernelPath.Auto, true, _logger);
        selector.Ensure(CpuKernelPath.Auto, true, _logger);

        selection.BFloat16Checked.Should().BeTrue();
        selection.Check.Cases.Should().Contain(c => c.Name.EndsWith(" bf16", StringComparison.Ordinal));
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnn, true));
    }

    [Fact]
    public void An_explicit_path_after_an_automatic_choice_switches_and_is_checked()
    {
        var backend = new FakeKernelBackend();
        var selector = new CpuKernelSelector(backend, () => null);
        selector.Ensure(CpuKernelPath.Auto, false, _logger);

        CpuKernelSelection selection = selector.Ensure(CpuKernelPath.OneDnnOff, false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnOff);
        selection.Reason.Should().Be("onednn-off was asked for.");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnnOff, false));
        selector.Ensure(CpuKernelPath.Auto, false, _logger).Should().BeSameAs(selection, "Auto keeps what is in effect");
    }

    [Fact]
    public void A_forced_path_that_fails_after_a_good_one_puts_the_good_one_back()
    {
        var backend = new FakeKernelBackend { Faulty = [CpuKernelPath.OneDnn] };
        var selector = new CpuKernelSelector(backend, () => null);
        CpuKernelSelection good = selector.Ensure(CpuKernelPath.OneDnnOff, false, _logger);

        var act = () => selector.Ensure(CpuKernelPath.OneDnn, false, _logger);

        act.Should().Throw<CpuKernelCheckException>();
        backend.Applied.Should().Be(CpuKernelPath.OneDnnOff, "nothing may run on the kernels that just failed");
        selector.Ensure(CpuKernelPath.Auto, false, _logger).Should().BeSameAs(good);
    }

    [Fact]
    public void The_environment_variable_makes_the_first_choice_only()
    {
        string? variable = null;
        var backend = new FakeKernelBackend();
        var selector = new CpuKernelSelector(backend, () => variable);
        CpuKernelSelection forced = selector.Ensure(CpuKernelPath.OneDnnOff, false, _logger);
        variable = "onednn";

        CpuKernelSelection later = selector.Ensure(CpuKernelPath.Auto, false, _logger);

        later.Should().BeSameAs(forced, "a later Auto (a preview sampler's) keeps the path the options forced");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnnOff, false));
    }

    [Fact]
    public void A_check_that_throws_counts_as_a_failure_and_the_fallback_is_tried()
    {
        var backend = new FakeKernelBackend { Throwing = [CpuKernelPath.OneDnn] };

        CpuKernelSelection selection = new CpuKernelSelector(backend, () => null).Ensure(CpuKernelPath.Auto, false, _logger);

        selection.Path.Should().Be(CpuKernelPath.OneDnnOff);
        selection.Attempts[0].Unusable.Should().Be("the check itself failed: could not create a primitive");
    }

    [Fact]
    public void Bfloat16_asked_for_at_the_first_call_is_checked_on_top_of_the_float32_choice()
    {
        var backend = new FakeKernelBackend { FaultyInBFloat16 = [CpuKernelPath.OneDnn] };
        var selector = new CpuKernelSelector(backend, () => null);

        var act = () => selector.Ensure(CpuKernelPath.Auto, true, _logger);

        act.Should().Throw<CpuKernelCheckException>().WithMessage("bfloat16 training was asked for*Train in Float32*");
        selector.Current!.Path.Should().Be(CpuKernelPath.OneDnn, "float32 passed at full speed; bfloat16 alone does not slow it down");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnn, true));
    }

    [Theory]
    [InlineData("auto", CpuKernelPath.Auto)]
    [InlineData("onednn", CpuKernelPath.OneDnn)]
    [InlineData(" ONEDNN-AVX ", CpuKernelPath.OneDnnAvx)]
    [InlineData("onednn-sse41", CpuKernelPath.OneDnnSse41)]
    [InlineData("onednn-off", CpuKernelPath.OneDnnOff)]
    public void Every_path_has_a_name_that_reads_back(string name, CpuKernelPath path)
    {
        CpuKernels.TryParse(name, out CpuKernelPath parsed).Should().BeTrue();
        parsed.Should().Be(path);
        CpuKernels.Name(path).Should().Be(name.Trim().ToLowerInvariant());
    }

    [Fact]
    public void Ensure_refuses_an_undefined_path_value()
    {
        var act = () => CpuKernels.Ensure((CpuKernelPath)42);

        act.Should().Throw<ArgumentException>().WithMessage("The CPU kernel path is 42, which is not a CpuKernelPath*");
    }
}
