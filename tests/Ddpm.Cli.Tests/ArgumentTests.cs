using System.CommandLine;
using Ddpm.Cli.Commands;
using Ddpm.Cli.Settings;
using Ddpm.Core.Training;
using FluentAssertions;

namespace Ddpm.Cli.Tests;

public sealed class ArgumentTests
{
    [Theory]
    [InlineData("--steps 0", "--steps: MaxSteps is 0; it must *")]
    [InlineData("--batch-size -3", "--batch-size: BatchSize is -3; it must lie in ?1, 65536].")]
    [InlineData("--unet huge", "--unet is 'huge'; use tiny, small, medium, base or large.")]
    [InlineData("--model resnet", "--model is 'resnet'; use unet or simple-unet.")]
    [InlineData("--schedule exponential", "--schedule is 'exponential'*cosine*")]
    [InlineData("--lr -1", "--lr: LearningRate is -1; it must be greater than 0*")]
    [InlineData("--channels 2", "--channels is 2*")]
    [InlineData("--epochs 2 --steps 5", "--epochs and --steps are both set*")]
    [InlineData("--preset fast", "--preset is 'fast'; use default, seed or fashion-mnist.")]
    [InlineData("--data /no/such/folder", "--data '/no/such/folder' does not exist*")]
    [InlineData("--config /no/such.json", "--config '/no/such.json' does not exist.")]
    [InlineData("--resume /no/such.ddpm", "--resume '/no/such.ddpm' does not exist*")]
    [InlineData("--steps many", "*--steps*")]
    [InlineData("--stepz 5", "*--stepz*")]
    [InlineData("--sampler unipc", "--sampler is 'unipc'; use ddpm, ddim, dpm++2m, euler, euler-a or heun.")]
    [InlineData("--threads 0", "--threads: Threads is 0; it must be null (all * logical cores) or lie in ?1, 1024].")]
    [InlineData("--seed -1", "--seed: Seed is -1*")]
    [InlineData("--precision fp16", "--precision is 'fp16'; use auto, fp32 or bf16.")]
    [InlineData("--lr-schedule linear", "--lr-schedule is 'linear'; use constant or cosine.")]
    [InlineData("--warmup-steps -5", "--warmup-steps: WarmupSteps is -5*")]
    [InlineData("--sampling-steps 0", "--sampling-steps: Steps is 0*")]
    [InlineData("--ema-max-decay 1", "--ema-max-decay: Ema.MaxDecay is 1; it must lie in ?0, 1)*")]
    [InlineData("--ema-power 0", "--ema-power: Ema.Power is 0; it must lie in (0, 10]*")]
    public void Bad_train_flags_exit_2_with_one_line_naming_the_flag(string flags, string message)
    {
        CliRun run = CliRun.Of(["train", .. flags.Split(' ')]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.TrimEnd().Should().NotContain("\n", "the error is one line").And.StartWith("ddpm: ");
        run.Error.TrimEnd()["ddpm: ".Length..].Should().Match(message);
        run.Error.Should().NotContain("   at ", "no stack trace without --verbose");
    }

    [Theory]
    [InlineData("sample --model /no/such.ddpm", "*--model '/no/such.ddpm' does not exist*")]
    [InlineData("sample --model . --count 0", "*--count is 0*")]
    [InlineData("sample", "*--model*")]
    [InlineData("info /no/such.ddpm", "*'/no/such.ddpm' does not exist*")]
    [InlineData("eval /no/such/folder", "*'/no/such/folder' does not exist*")]
    [InlineData("bench --precision fp16", "*--precision is 'fp16'; use auto, fp32 or bf16.*")]
    [InlineData("forward --index -1", "*--index is -1*")]
    [InlineData("nonsense", "*nonsense*")]
    public void Bad_arguments_of_other_commands_exit_2(string line, string message)
    {
        CliRun run = CliRun.Of(line.Split(' '));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Match(message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_fails_with_exit_2_and_says_why()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("fake.ddpm"), "not a checkpoint at all");

        CliRun run = CliRun.Of("info", folder.File("fake.ddpm"));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("fake.ddpm").And.Contain("not a Ddpm.Core checkpoint");
        run.Error.Should().NotContain("   at ");
    }

    [Theory]
    [InlineData("only-text", "holds no image files")]
    [InlineData("zero-byte-png", "Cannot read the image '*empty.png'")]
    [InlineData("truncated-idx", "declares 10 images of 28x28*truncated or corrupt")]
    public void Unusable_training_data_exits_2_naming_the_file(string kind, string message)
    {
        using var folder = new TempFolder();
        string data = folder.File("data");
        Directory.CreateDirectory(data);
        switch (kind)
        {
            case "only-text":
                File.WriteAllText(Path.Combine(data, "readme.txt"), "no images");
                break;
            case "zero-byte-png":
                File.WriteAllBytes(Path.Combine(data, "empty.png"), []);
                break;
            default:
                data = folder.File("train-images-idx3-ubyte");
                File.WriteAllBytes(data, [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);
                break;
        }

        CliRun run = CliRun.Of("train", "--data", data, "--steps", "1", "--out", folder.File("out"));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Match($"*--data*{message}*");
        run.Error.Should().NotContain("   at ");
    }

    [Fact]
    public void A_damaged_model_exits_2_for_sample_naming_it()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("damaged.ddpm"), [.. "DDPMCKPT"u8, 1, 0, 0, 0, 255, 255]);

        CliRun run = CliRun.Of("sample", "--model", folder.File("damaged.ddpm"), "--count", "1", "--out", folder.File("s.png"));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("damaged.ddpm");
        File.Exists(folder.File("s.png")).Should().BeFalse();
    }

    [Fact]
    public void Help_lists_every_command()
    {
        CliRun run = CliRun.Of("--help");

        run.ExitCode.Should().Be(0);
        run.Output.Should().Contain("train").And.Contain("sample").And.Contain("forward").And.Contain("bench").And.Contain("info").And.Contain("eval");
    }

    [Fact]
    public void Settings_rise_from_preset_to_config_to_flags()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("c.json"), """{ "batch-size": 16, "schedule": "cosine", "steps": 99 }""");

        TrainSettings preset = Resolve("--preset", "seed");
        TrainSettings config = Resolve("--preset", "seed", "--config", folder.File("c.json"));
        TrainSettings flags = Resolve("--preset", "seed", "--config", folder.File("c.json"), "--batch-size", "8", "--epochs", "3");

        preset.Should().BeEquivalentTo(new { Model = NetworkChoice.SimpleUNet, ImageSize = 64, Channels = 3, BatchSize = 128, Epochs = 100, Steps = (long?)null, Timesteps = 300, Loss = LossType.L1, LearningRate = 1e-3, Schedule = ScheduleChoice.Linear, Sampler = Ddpm.Core.Sampling.SamplingMethod.Ddpm });
        config.Should().BeEquivalentTo(new { Model = NetworkChoice.SimpleUNet, BatchSize = 16, Schedule = ScheduleChoice.Cosine, Steps = (long?)99, Epochs = (int?)null });
        flags.Should().BeEquivalentTo(new { Model = NetworkChoice.SimpleUNet, BatchSize = 8, Schedule = ScheduleChoice.Cosine, Epochs = (int?)3, Steps = (long?)null });
    }

    [Fact]
    public void The_default_preset_takes_the_library_defaults_for_T_and_the_loss_and_a_flag_overrides_them()
    {
        var library = new DdpmTrainerOptions();

        Resolve().Should().BeEquivalentTo(new { library.Timesteps, library.Loss });
        Resolve("--loss", "huber", "--timesteps", "500").Should().BeEquivalentTo(new { Timesteps = 500, Loss = LossType.Huber });
        Resolve().Threads.Should().BeNull("all logical cores");
        Resolve("--threads", "1").Threads.Should().Be(1);
    }

    [Fact]
    public void Learning_rate_schedule_warm_up_and_precision_flags_reach_the_trainer_options()
    {
        TrainSettings settings = Resolve("--lr-schedule", "cosine", "--warmup-steps", "100", "--precision", "fp32");

        DdpmTrainerOptions options = settings.CreateTrainerOptions(null, Ddpm.Core.Kernels.CpuKernelPath.Auto);

        options.Should().BeEquivalentTo(new { LearningRateSchedule = LearningRateSchedule.Cosine, WarmupSteps = 100L, Precision = TrainingPrecision.Float32 });
        settings.ToPatch().Should().BeEquivalentTo(new { LearningRateSchedule = "cosine", WarmupSteps = (long?)100, Precision = "fp32" }, "options.json reproduces them");
        Resolve().CreateTrainerOptions(null, Ddpm.Core.Kernels.CpuKernelPath.Auto).Precision.Should().Be(TrainingPrecision.Auto);
    }

    [Fact]
    public void Ema_flags_reach_the_trainer_options_and_default_to_the_library()
    {
        TrainSettings settings = Resolve("--ema-max-decay", "0.99", "--ema-power", "0.5");

        EmaOptions ema = settings.CreateTrainerOptions(null, Ddpm.Core.Kernels.CpuKernelPath.Auto).Ema;

        ema.Should().BeEquivalentTo(new { Enabled = true, MaxDecay = 0.99, Power = 0.5 });
        settings.ToPatch().Should().BeEquivalentTo(new { EmaMaxDecay = (double?)0.99, EmaPower = (double?)0.5 }, "options.json reproduces them");
        Resolve().CreateTrainerOptions(null, Ddpm.Core.Kernels.CpuKernelPath.Auto).Ema.Should().BeEquivalentTo(new EmaOptions(), "without the flags the library's defaults hold");
    }

    [Fact]
    public void An_unknown_loss_is_rejected_with_the_valid_names()
    {
        CliRun run = CliRun.Of("train", "--loss", "mse");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("--loss is 'mse'").And.Contain("l2, l1 or huber");
    }

    [Fact]
    public void A_config_file_with_an_unknown_key_is_rejected_naming_it()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("c.json"), """{ "batchsize": 16 }""");

        CliRun run = CliRun.Of("train", "--config", folder.File("c.json"));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("batchsize").And.Contain("batch-size");
    }

    [Fact]
    public void A_bad_value_in_a_config_file_names_the_key_and_the_file()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("c.json"), """{ "timesteps": 0 }""");

        CliRun run = CliRun.Of("train", "--config", folder.File("c.json"));

        run.ExitCode.Should().Be(2, run.ToString());
        // The library's validator speaks, under the key and file that set the value; the sampling steps that
        // default from T are not blamed on the file.
        run.Error.Should().Contain("\"timesteps\" in ").And.Contain("c.json: Timesteps is 0; it must lie in [1, 100000]").And.NotContain("sampling-steps");
    }

    [Fact]
    public void Version_is_the_package_version()
    {
        string package = typeof(Ddpm.Core.DdpmModel).Assembly.GetName().Version!.ToString(3);

        CliRun run = CliRun.Of("--version");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().StartWith(package + "+", "ddpm ships with the Ddpm.Core it was built from");
    }

    private static TrainSettings Resolve(params string[] args) =>
        TrainCommand.Resolve(TrainCommand.Create((_, _) => 0).Parse(args));
}
