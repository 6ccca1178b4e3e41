using Ddpm.Core.Kernels;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>
/// When <see cref="Ddpm.Core.Training.TrainingPrecision.Auto"/> may train in bfloat16 (<see cref="CpuKernelSelector.AssessBFloat16"/>):
/// only where the CPU has native bfloat16, the path in effect uses it, and the bfloat16 kernels pass; with a fake libtorch,
/// so every branch runs on any machine.
/// </summary>
public sealed class BFloat16AssessmentTests
{
    private readonly RecordingLogger<BFloat16AssessmentTests> _logger = new();

    [Fact]
    public void Native_bfloat16_on_full_width_oneDNN_whose_kernels_pass_is_recommended_and_the_check_is_recorded()
    {
        var backend = new FakeKernelBackend { BFloat16Instructions = "AVX-512 BF16" };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().BeTrue();
        reason.Should().StartWith("the CPU has AVX-512 BF16 and oneDNN's bfloat16 kernels passed the check (").And.Contain("146 of 146");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false), (CpuKernelPath.OneDnn, true));
        selector.Current!.BFloat16Checked.Should().BeTrue();

        selector.AssessBFloat16(CpuKernelPath.Auto, _logger).Recommended.Should().BeTrue();
        backend.Checks.Should().HaveCount(2, "the bfloat16 cases run once per process");
    }

    [Fact]
    public void A_CPU_without_native_bfloat16_trains_in_float32_without_running_the_bfloat16_cases()
    {
        var backend = new FakeKernelBackend { BFloat16Instructions = null };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().BeFalse();
        reason.Should().Be("this CPU (TestVendor family 99 model 1) has no native bfloat16 instructions (AVX-512 BF16 or AMX), where bfloat16 trains slower than float32");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnn, false));
    }

    [Fact]
    public void Native_bfloat16_behind_the_SSE41_limit_of_a_CPU_that_hides_its_caches_trains_in_float32_and_says_why()
    {
        // The Zen 5 VMs: AVX-512 BF16 in CPUID, but oneDNN is held to SSE4.1, which has no bfloat16 instructions.
        var backend = new FakeKernelBackend { BFloat16Instructions = "AVX-512 BF16", CacheTopologyHidden = true };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().BeFalse();
        reason.Should().Be("the CPU has AVX-512 BF16, but the CPU kernels in effect are oneDNN limited to SSE4.1, which have no bfloat16 instructions (why that path: the CPU kernels' log line, ddpm doctor, docs/troubleshooting.md)");
        backend.Checks.Should().Equal((CpuKernelPath.OneDnnSse41, false));
    }

    [Theory]
    [InlineData(CpuKernelPath.OneDnnAvx)]
    [InlineData(CpuKernelPath.OneDnnOff)]
    public void A_forced_path_without_bfloat16_instructions_trains_in_float32(CpuKernelPath path)
    {
        var backend = new FakeKernelBackend { BFloat16Instructions = "AMX-BF16" };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(path, _logger);

        recommended.Should().BeFalse();
        reason.Should().StartWith($"the CPU has AMX-BF16, but the CPU kernels in effect are {CpuKernels.Describe(path)}, which have no bfloat16 instructions");
        backend.Checks.Should().Equal((path, false));
    }

    [Theory]
    [InlineData("AVX2", false)]
    [InlineData("avx512_core", false)]
    [InlineData("AVX512_CORE_BF16", true)]
    [InlineData("AVX512_CORE_AMX", true)]
    public void An_instruction_set_limit_from_the_environment_below_bfloat16_means_float32(string isa, bool expected)
    {
        var backend = new FakeKernelBackend { BFloat16Instructions = "AVX-512 BF16", IsaLimitFromEnvironment = isa };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().Be(expected);
        if (!expected)
        {
            reason.Should().Be($"the CPU has AVX-512 BF16, but oneDNN is limited by ONEDNN_MAX_CPU_ISA={isa} from the environment, below its bfloat16 instructions");
        }
    }

    [Fact]
    public void Wrong_bfloat16_kernels_mean_float32_with_the_failure_named_not_an_exception()
    {
        var backend = new FakeKernelBackend { BFloat16Instructions = "AVX-512 BF16", FaultyInBFloat16 = [CpuKernelPath.OneDnn] };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().BeFalse();
        reason.Should().StartWith("the CPU has AVX-512 BF16, but oneDNN's bfloat16 kernels compute wrongly here: ").And.Contain("wrong:");
        selector.Current!.Path.Should().Be(CpuKernelPath.OneDnn, "float32 stays on the path that passed");
        selector.Current.BFloat16Checked.Should().BeFalse();

        // Asking for bfloat16 explicitly afterwards is still refused.
        Action explicitBFloat16 = () => selector.Ensure(CpuKernelPath.Auto, bfloat16: true, _logger);
        explicitBFloat16.Should().Throw<CpuKernelCheckException>().WithMessage("bfloat16 training was asked for*");
    }

    [Fact]
    public void A_bfloat16_check_that_throws_means_float32()
    {
        var backend = new ThrowingInBFloat16Backend { BFloat16Instructions = "AVX-512 BF16" };
        var selector = new CpuKernelSelector(backend, () => null);

        (bool recommended, string reason) = selector.AssessBFloat16(CpuKernelPath.Auto, _logger);

        recommended.Should().BeFalse();
        reason.Should().Be("the CPU has AVX-512 BF16, but the bfloat16 kernel check itself failed: could not create a bfloat16 primitive");
    }

    /// <summary>A backend whose bfloat16 check throws as a libtorch error would.</summary>
    private sealed class ThrowingInBFloat16Backend : ICpuKernelBackend
    {
        private readonly FakeKernelBackend _inner = new();

        public string? BFloat16Instructions { get; init; }

        public bool CacheTopologyHidden => false;

        public string CpuDescription => _inner.CpuDescription;

        public string? IsaLimitFromEnvironment => null;

        public string? TryApply(CpuKernelPath path) => _inner.TryApply(path);

        public CpuKernelCheckResult Check(bool bfloat16) =>
            bfloat16 ? throw new System.Runtime.InteropServices.ExternalException("could not create a bfloat16 primitive\nException raised from ...") : _inner.Check(false);
    }
}
