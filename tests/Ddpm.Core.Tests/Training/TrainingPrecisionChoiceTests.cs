using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Kernels;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

/// <summary>
/// <see cref="TrainingPrecision.Auto"/>, the default: what it turns into, that the run records the decided precision
/// with its reason, and the refusals. The CPU rules themselves are in <see cref="Kernels.BFloat16AssessmentTests"/>.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class TrainingPrecisionChoiceTests
{
    [Fact]
    public void Auto_is_the_default()
    {
        new DdpmTrainerOptions().Precision.Should().Be(TrainingPrecision.Auto);
    }

    [Fact]
    public void A_precision_asked_for_is_kept()
    {
        TrainingPrecisionChoice.Make(TrainingPrecision.Float32).Should().Be(new TrainingPrecisionChoice(TrainingPrecision.Float32, "asked for (Precision = Float32)"));
        TrainingPrecisionChoice.Make(TrainingPrecision.BFloat16, "cuda:1").Precision.Should().Be(TrainingPrecision.BFloat16);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("CUDA:0")]
    public void Auto_on_CUDA_is_float32_until_bfloat16_is_measured_there(string device)
    {
        // Decided from the name alone: no CUDA device is needed (nor touched) to make this choice.
        TrainingPrecisionChoice choice = TrainingPrecisionChoice.Make(TrainingPrecision.Auto, device);

        choice.Precision.Should().Be(TrainingPrecision.Float32);
        choice.Reason.Should().StartWith("chosen automatically: bfloat16 is chosen by itself only on CPUs").And.Contain("Precision = BFloat16");
    }

    [Fact]
    public void Auto_on_this_CPU_follows_its_bfloat16_instructions_and_kernel_path()
    {
        TrainingPrecisionChoice choice = TrainingPrecisionChoice.Make();

        CpuKernelSelection kernels = CpuKernels.Current!;
        choice.Reason.Should().StartWith("chosen automatically: ");
        if (CpuKernels.BFloat16Instructions is null)
        {
            choice.Precision.Should().Be(TrainingPrecision.Float32);
            choice.Reason.Should().Contain("has no native bfloat16 instructions");
        }
        else if (kernels.Path != CpuKernelPath.OneDnn)
        {
            // The Zen 5 VMs: AVX-512 BF16, but oneDNN held to SSE4.1.
            choice.Precision.Should().Be(TrainingPrecision.Float32);
            choice.Reason.Should().Contain($"the CPU kernels in effect are {CpuKernels.Describe(kernels.Path)}, which have no bfloat16 instructions");
        }
        else
        {
            choice.Precision.Should().Be(kernels.BFloat16Checked ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32);
        }
    }

    [Fact]
    public void Values_that_are_not_precisions_or_devices_are_refused_by_name()
    {
        Action undefined = () => TrainingPrecisionChoice.Make((TrainingPrecision)7);
        Action device = () => TrainingPrecisionChoice.Make(TrainingPrecision.Auto, "gpu");

        undefined.Should().Throw<ArgumentException>().WithMessage("The precision is 7, which is not a TrainingPrecision; use Auto, Float32 or BFloat16.*");
        device.Should().Throw<ArgumentException>().WithMessage("The device is \"gpu\", which is not a device*");
    }

    [Fact]
    public void An_automatic_bfloat16_becomes_float32_for_a_network_passed_to_Fit_but_an_asked_for_one_stays()
    {
        var automatic = new TrainingPrecisionChoice(TrainingPrecision.BFloat16, "chosen automatically: the CPU has AVX-512 BF16");
        var asked = new TrainingPrecisionChoice(TrainingPrecision.BFloat16, "asked for (Precision = BFloat16)");

        TrainingPrecisionChoice passed = automatic.ForNetworkWithoutConfiguration(TrainingPrecision.Auto);

        passed.Precision.Should().Be(TrainingPrecision.Float32);
        passed.Reason.Should().Contain("this network was passed to Fit (set DdpmTrainerOptions.Network instead)");
        asked.ForNetworkWithoutConfiguration(TrainingPrecision.BFloat16).Should().BeSameAs(asked);
        new TrainingPrecisionChoice(TrainingPrecision.Float32, "x").ForNetworkWithoutConfiguration(TrainingPrecision.Auto).Precision.Should().Be(TrainingPrecision.Float32);
    }

    [Fact]
    public void A_run_logs_and_records_the_decided_precision_with_its_reason_never_Auto()
    {
        using var folder = new TempDirectory();
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var logger = new RecordingLogger<DdpmTrainer>();
        var options = new DdpmTrainerOptions
        {
            Network = TinyNetworks.SimpleUNet(),
            MaxSteps = 2,
            BatchSize = 4,
            Timesteps = 10,
            Seed = 3,
            CheckpointDirectory = folder.Path,
        };
        TrainingPrecisionChoice expected = TrainingPrecisionChoice.Make();

        using (new DdpmTrainer(options, logger).Fit(new InMemoryImageDataset(images)))
        {
        }

        logger.Entries.Select(e => e.Message).Should().Contain($"Precision: {expected}");
        TrainingCheckpointInfo training = CheckpointInfo.Read(Directory.GetFiles(folder.Path, "checkpoint-*.ddpm").Single()).Training!;
        training.Precision.Should().Be(expected.ToString());
        training.OptionsJson.Should().Contain($"\"precision\":\"{expected.Precision}\"").And.NotContain("\"precision\":\"Auto\"");
        options.Precision.Should().Be(TrainingPrecision.Auto, "the caller's options are not changed");
    }

    [Fact]
    public void A_resumed_run_with_Auto_keeps_the_precision_it_started_in_and_one_asked_for_warns_that_it_changes()
    {
        using var folder = new TempDirectory();
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var dataset = new InMemoryImageDataset(images);
        DdpmTrainerOptions Options(long steps, TrainingPrecision precision) => new()
        {
            Network = TinyNetworks.SimpleUNet(),
            MaxSteps = steps,
            BatchSize = 4,
            Timesteps = 10,
            Seed = 5,
            Precision = precision,
            CheckpointDirectory = folder.Path,
        };
        using (new DdpmTrainer(Options(2, TrainingPrecision.BFloat16)).Fit(dataset))
        {
        }

        var automatic = new RecordingLogger<DdpmTrainer>();
        using (new DdpmTrainer(Options(3, TrainingPrecision.Auto), automatic).Fit(dataset, folder.Path))
        {
        }

        var asked = new RecordingLogger<DdpmTrainer>();
        using (new DdpmTrainer(Options(4, TrainingPrecision.Float32), asked).Fit(dataset, folder.Path))
        {
        }

        automatic.Entries.Select(e => e.Message).Should().Contain("Precision: BFloat16 (kept from the checkpoint being resumed, which started in BFloat16, so the run continues exactly as it began)");
        CheckpointInfo.Read(Path.Combine(folder.Path, CheckpointFiles.FileName(3))).Training!.OptionsJson.Should().Contain("\"precision\":\"BFloat16\"");
        asked.Entries.Should().Contain(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.StartsWith("The run being resumed started in BFloat16 and continues in Float32 (asked for (Precision = Float32)): it will not match an uninterrupted run exactly", StringComparison.Ordinal));
        asked.Entries.Select(e => e.Message).Should().Contain("Precision: Float32 (asked for (Precision = Float32))");
    }

    [Fact]
    public void A_float32_run_says_it_was_asked_for()
    {
        using Tensor images = SyntheticImages.Squares(8, 1, 8);
        var logger = new RecordingLogger<DdpmTrainer>();

        using DdpmModel model = new DdpmTrainer(
            new DdpmTrainerOptions { Network = TinyNetworks.SimpleUNet(), MaxSteps = 1, BatchSize = 4, Timesteps = 10, Seed = 1, Precision = TrainingPrecision.Float32 },
            logger).Fit(new InMemoryImageDataset(images));

        logger.Entries.Select(e => e.Message).Should().Contain("Precision: Float32 (asked for (Precision = Float32))");
    }
}
