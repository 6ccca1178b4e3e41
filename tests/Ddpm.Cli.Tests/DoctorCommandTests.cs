using System.Text.Json;
using Ddpm.Core.Kernels;
using FluentAssertions;

namespace Ddpm.Cli.Tests;

/// <summary><c>ddpm doctor</c> and <c>--cpu-kernels</c>: the path in use, its check, and a forced path.</summary>
[Collection(CpuKernelsCollection.Name)]
public sealed class DoctorCommandTests
{
    [Fact]
    public void Doctor_names_the_CPU_the_path_in_use_and_its_check()
    {
        CliRun run = CliRun.Of("doctor");

        run.ExitCode.Should().Be(0, run.ToString());
        CpuKernelSelection selection = CpuKernels.Current!;
        run.Output.Should().Contain(CpuKernels.Cpu)
            .And.Contain($"Training and sampling on the CPU use {CpuKernels.Describe(selection.Path)}")
            .And.MatchRegex(@"passed \d+ of \d+ cases within tolerance")
            .And.Contain($"Training with --precision auto (the default) computes in {Ddpm.Core.Training.TrainingPrecisionChoice.Make().Precision}, chosen automatically: ");
    }

    [Fact]
    public void Doctor_json_lists_the_attempts_and_with_cases_every_case()
    {
        CliRun run = CliRun.Of("doctor", "--json", "--cases", "--bf16");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument report = JsonDocument.Parse(run.Output);
        JsonElement root = report.RootElement;
        root.GetProperty("path").GetString().Should().Be(CpuKernels.Name(CpuKernels.Current!.Path));
        root.GetProperty("cacheTopologyHidden").GetBoolean().Should().Be(CpuKernels.CacheTopologyHidden);
        JsonElement chosen = root.GetProperty("attempts").EnumerateArray().Last();
        chosen.GetProperty("passed").GetBoolean().Should().BeTrue();
        chosen.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Should().Contain(["conv 24→48 3x3 s1 forward", "conv 24→48 3x3 s1 forward bf16"]);
    }

    [Fact]
    public void A_forced_path_is_checked_and_used_until_another_is_asked_for()
    {
        CpuKernelSelection before = CpuKernels.Current!;
        try
        {
            CliRun run = CliRun.Of("doctor", "--cpu-kernels", "onednn-off");

            run.ExitCode.Should().Be(0, run.ToString());
            // A suite run with DDPM_CPU_KERNELS=onednn-off is on that path already: it is kept, with the reason it was chosen for.
            string reason = before.Path == CpuKernelPath.OneDnnOff ? before.Reason : "onednn-off was asked for.";
            run.Output.Should().Contain($"Training and sampling on the CPU use oneDNN off (libtorch's own kernels): {reason}");
            CpuKernels.Current!.Path.Should().Be(CpuKernelPath.OneDnnOff);
        }
        finally
        {
            CpuKernels.Ensure(before.Path);
        }
    }

    [Fact]
    public void An_unknown_cpu_kernels_name_is_a_usage_error_naming_the_flag()
    {
        CliRun run = CliRun.Of("doctor", "--cpu-kernels", "mkldnn");

        run.ExitCode.Should().Be(2);
        run.Error.Should().Be("ddpm: --cpu-kernels is 'mkldnn'; use auto, onednn, onednn-avx, onednn-sse41 or onednn-off." + Environment.NewLine);
    }
}
