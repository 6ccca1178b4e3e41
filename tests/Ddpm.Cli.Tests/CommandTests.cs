using System.Text.Json;
using Ddpm.Core;
using Ddpm.Core.Sampling;
using FluentAssertions;
using SixLabors.ImageSharp;

namespace Ddpm.Cli.Tests;

public sealed class CommandTests(TrainedRunFixture trained) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Train_writes_every_listed_file()
    {
        trained.Run.ExitCode.Should().Be(0, trained.Run.ToString());
        foreach (string name in new[] { "model.ddpm", "samples.png", "forward.png", "denoising.png", "loss.png", "loss.csv", "options.json" })
        {
            new FileInfo(Path.Combine(trained.Output, name)).Length.Should().BeGreaterThan(0, $"train writes {name}");
        }

        Directory.GetFiles(Path.Combine(trained.Output, "checkpoints"), "checkpoint-*.ddpm").Should().NotBeEmpty();
        File.ReadAllLines(Path.Combine(trained.Output, "loss.csv")).Should().HaveCount(5, "a header and one row per step");
        using (Image forward = Image.Load(Path.Combine(trained.Output, "forward.png")))
        {
            forward.Width.Should().BeGreaterThan(9 * 16, "the strip shows 10 images of 16 pixels side by side");
        }

        trained.Run.Output.Should().Contain("model.ddpm");
        trained.Run.Error.Should().Contain("step 4/4", "progress goes to standard error");
        trained.Run.Output.Should().Contain($"Trained in {Ddpm.Core.Training.TrainingPrecisionChoice.Make().Precision}: chosen automatically: ");
    }

    [Fact]
    public void Progress_goes_to_standard_error_and_results_to_standard_output()
    {
        trained.Run.Error.Should().Contain("training: step").And.Contain("sampling: step");
        trained.Run.Output.Should().NotContain("training: step").And.NotContain("sampling: step").And.Contain("model.ddpm");
    }

    [Fact]
    public void Options_json_reproduces_the_settings_as_a_config_file()
    {
        using JsonDocument options = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.Output, "options.json")));

        options.RootElement.GetProperty("unet").GetString().Should().Be("tiny");
        options.RootElement.GetProperty("steps").GetInt64().Should().Be(4);
        options.RootElement.GetProperty("image-size").GetInt32().Should().Be(16);
        options.RootElement.TryGetProperty("epochs", out _).Should().BeFalse("steps were given, so epochs do not apply");
        options.RootElement.GetProperty("precision").GetString().Should().Be("auto", "the setting, not what it chose on this machine");
    }

    [Fact]
    public void Sample_with_json_prints_one_object_naming_what_it_wrote()
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of("sample", "--model", trained.Output, "--count", "2", "--steps", "2", "--seed", "5", "--out", folder.File("grid.png"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument summary = JsonDocument.Parse(run.Output);
        summary.RootElement.GetProperty("grid").GetString().Should().Be(folder.File("grid.png"));
        summary.RootElement.GetProperty("count").GetInt32().Should().Be(2);
        summary.RootElement.GetProperty("sampler").GetString().Should().Be("dpm++2m", "the default for a UNet");
        summary.RootElement.GetProperty("steps").GetInt32().Should().Be(2);
        summary.RootElement.GetProperty("seed").GetInt32().Should().Be(5);
        summary.RootElement.GetProperty("individual").ValueKind.Should().Be(JsonValueKind.Null);
        File.Exists(folder.File("grid.png")).Should().BeTrue();
        run.Error.Should().Contain("Sampling 2 image(s)").And.Contain("sampling: step");
    }

    [Theory]
    [InlineData("dpm++2m", 20)]
    [InlineData("euler", 30)]
    [InlineData("euler-a", 30)]
    [InlineData("heun", 20)]
    public void Every_sampler_draws_from_the_command_line_with_its_own_default_steps(string sampler, int steps)
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of("sample", "--model", trained.Output, "--count", "1", "--sampler", sampler, "--seed", "5", "--out", folder.File("grid.png"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument summary = JsonDocument.Parse(run.Output);
        summary.RootElement.GetProperty("sampler").GetString().Should().Be(sampler);
        summary.RootElement.GetProperty("steps").GetInt32().Should().Be(Math.Min(steps, 20), "the method's default, at most T (20 for the shared run)");
        File.Exists(folder.File("grid.png")).Should().BeTrue();
    }

    [Fact]
    public void Sample_with_karras_spacing_visits_the_schedules_karras_timesteps()
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of("sample", "--model", trained.Output, "--count", "1", "--sampler", "euler-a", "--steps", "5", "--spacing", "karras", "--seed", "5", "--out", folder.File("grid.png"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument summary = JsonDocument.Parse(run.Output);
        summary.RootElement.GetProperty("spacing").GetString().Should().Be("karras");
        using DdpmModel model = DdpmModel.Load(Path.Combine(trained.Output, "model.ddpm"));
        summary.RootElement.GetProperty("timesteps").EnumerateArray().Select(t => t.GetInt32()).Should()
            .Equal(SamplingTimesteps.Create(model.Scheduler, 5, TimestepSpacing.Karras)).And.NotEqual(SamplingTimesteps.Create(20, 5, TimestepSpacing.Trailing));
        run.Error.Should().Contain("in 5 steps (karras spacing)");
    }

    [Fact]
    public void Sample_refuses_an_unknown_spacing_naming_the_choices()
    {
        CliRun run = CliRun.Of("sample", "--model", trained.Output, "--spacing", "uniform");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("--spacing is 'uniform'; use trailing, linspace, leading or karras.");
    }

    [Fact]
    public void Train_with_json_prints_one_object_with_the_files_and_figures()
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of(
            "train", "--unet", "tiny", "--steps", "2", "--batch-size", "4", "--image-size", "16", "--timesteps", "10",
            "--samples", "1", "--sampling-steps", "1", "--out", folder.File("run"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument summary = JsonDocument.Parse(run.Output);
        JsonElement root = summary.RootElement;
        root.GetProperty("model").GetString().Should().Be(Path.Combine(folder.File("run"), "model.ddpm"));
        File.Exists(root.GetProperty("model").GetString()).Should().BeTrue();
        root.GetProperty("trainedSteps").GetInt64().Should().Be(2);
        root.GetProperty("lastLoss").GetDouble().Should().BePositive();
        root.GetProperty("cpuKernels").GetString().Should().Be(Ddpm.Core.Kernels.CpuKernels.Name(Ddpm.Core.Kernels.CpuKernels.Current!.Path));
        Ddpm.Core.Training.TrainingPrecisionChoice chosen = Ddpm.Core.Training.TrainingPrecisionChoice.Make();
        root.GetProperty("precision").GetString().Should().Be(chosen.Precision.ToString());
        root.GetProperty("precisionReason").GetString().Should().Be(chosen.Reason);
        run.Error.Should().Contain("Training UNet").And.Contain("training: step 2/2");
    }

    [Fact]
    public void Sample_writes_the_requested_count()
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of("sample", "--model", trained.Output, "--count", "3", "--steps", "2", "--out", folder.File("grid.png"), "--individual", folder.File("each"));

        run.ExitCode.Should().Be(0, run.ToString());
        File.Exists(folder.File("grid.png")).Should().BeTrue();
        Directory.GetFiles(folder.File("each"), "*.png").Should().HaveCount(3);
        using Image one = Image.Load(Directory.GetFiles(folder.File("each"), "*.png")[0]);
        one.Width.Should().Be(16);
    }

    [Fact]
    public void Sampling_with_the_same_seed_draws_the_same_images()
    {
        using var folder = new TempFolder();

        CliRun.Of("sample", "--model", trained.Output, "--count", "2", "--steps", "2", "--seed", "5", "--out", folder.File("a.png")).ExitCode.Should().Be(0);
        CliRun.Of("sample", "--model", trained.Output, "--count", "2", "--steps", "2", "--seed", "5", "--out", folder.File("b.png")).ExitCode.Should().Be(0);

        File.ReadAllBytes(folder.File("a.png")).Should().Equal(File.ReadAllBytes(folder.File("b.png")));
    }

    [Fact]
    public void Weights_network_samples_from_the_trained_weights_instead_of_their_average()
    {
        using var folder = new TempFolder();

        CliRun ema = CliRun.Of("sample", "--model", trained.Output, "--count", "2", "--steps", "2", "--seed", "5", "--out", folder.File("ema.png"), "--json");
        CliRun network = CliRun.Of("sample", "--model", trained.Output, "--count", "2", "--steps", "2", "--seed", "5", "--weights", "network", "--out", folder.File("network.png"), "--json");
        CliRun bad = CliRun.Of("sample", "--model", trained.Output, "--weights", "raw");

        ema.ExitCode.Should().Be(0, ema.ToString());
        network.ExitCode.Should().Be(0, network.ToString());
        JsonDocument.Parse(ema.Output).RootElement.GetProperty("weights").GetString().Should().Be("ema");
        JsonDocument.Parse(network.Output).RootElement.GetProperty("weights").GetString().Should().Be("network");
        File.ReadAllBytes(folder.File("network.png")).Should().NotEqual(File.ReadAllBytes(folder.File("ema.png")), "after 4 steps the average (decay 0.65) still differs from the weights");
        bad.ExitCode.Should().Be(2);
        bad.Error.Should().Contain("--weights is 'raw'; use ema or network.");
    }

    [Fact]
    public void Info_describes_the_checkpoint()
    {
        CliRun table = CliRun.Of("info", Path.Combine(trained.Output, "model.ddpm"));
        CliRun json = CliRun.Of("info", trained.Output, "--json");

        table.ExitCode.Should().Be(0, table.ToString());
        table.Output.Should().Contain("UNet(channels 1, base 16").And.Contain("1x16x16").And.Contain("T = 20");
        json.ExitCode.Should().Be(0, json.ToString());
        using JsonDocument document = JsonDocument.Parse(json.Output);
        document.RootElement.GetProperty("TrainedSteps").GetInt64().Should().Be(4);
        document.RootElement.GetProperty("Architecture").GetString().Should().Be("unet");
    }

    [Fact]
    public void Info_of_a_training_checkpoint_shows_the_run()
    {
        string checkpoint = Directory.GetFiles(Path.Combine(trained.Output, "checkpoints"), "checkpoint-*.ddpm").Order().Last();

        CliRun run = CliRun.Of("info", checkpoint);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("resumable").And.Contain("step 4 of 4").And.Contain("Precision");
        CliRun json = CliRun.Of("info", checkpoint, "--json");
        using JsonDocument document = JsonDocument.Parse(json.Output);
        document.RootElement.GetProperty("Training").GetProperty("Precision").GetString().Should().Be(Ddpm.Core.Training.TrainingPrecisionChoice.Make().ToString(), "the run records what it chose and why");
    }

    [Fact]
    public void Resume_continues_a_run_to_more_steps()
    {
        using var folder = new TempFolder();
        CliRun.Of("train", "--unet", "tiny", "--steps", "2", "--batch-size", "4", "--image-size", "16", "--timesteps", "20", "--samples", "1", "--sampling-steps", "1", "--out", folder.File("a"))
            .ExitCode.Should().Be(0);

        CliRun resumed = CliRun.Of(
            "train", "--config", folder.File("a/options.json"), "--steps", "3", "--resume", folder.File("a/checkpoints"));

        resumed.ExitCode.Should().Be(0, resumed.ToString());
        File.ReadAllLines(folder.File("a/loss.csv")).Should().HaveCount(4, "3 steps in all: 2 before the resume and 1 after");
        CliRun.Of("info", folder.File("a"), "--json").Output.Should().Contain("\"TrainedSteps\": 3");
    }

    [Fact]
    public void Cancelling_saves_a_checkpoint_and_exits_130()
    {
        using var folder = new TempFolder();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        CliRun run = CliRun.Of(cancelled.Token, "train", "--unet", "tiny", "--steps", "50", "--batch-size", "4", "--image-size", "16", "--out", folder.Path);

        run.ExitCode.Should().Be(130, run.ToString());
        run.Output.Should().Contain("--resume");
        Directory.GetFiles(folder.File("checkpoints"), "checkpoint-*.ddpm").Should().ContainSingle();
    }

    [Fact]
    public void Forward_writes_the_strip()
    {
        using var folder = new TempFolder();

        CliRun run = CliRun.Of("forward", "--out", folder.File("f.png"), "--index", "3", "--schedule", "cosine");

        run.ExitCode.Should().Be(0, run.ToString());
        using Image strip = Image.Load(folder.File("f.png"));
        strip.Width.Should().Be(2 + (10 * (32 + 2)));
    }

    [Fact]
    public void Eval_scores_a_folder_of_samples()
    {
        using var folder = new TempFolder();
        CliRun.Of("sample", "--model", trained.Output, "--count", "4", "--steps", "1", "--individual", folder.File("s"), "--out", folder.File("g.png")).ExitCode.Should().Be(0);

        // The tiny model makes 16x16 images; eval stretches them to 32x32.
        CliRun run = CliRun.Of("eval", folder.File("s"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument document = JsonDocument.Parse(run.Output);
        document.RootElement.GetProperty("count").GetInt32().Should().Be(4);
        document.RootElement.GetProperty("frechetDistance").GetDouble().Should().BeGreaterThan(0);
        document.RootElement.GetProperty("classShares").GetArrayLength().Should().Be(10);
    }

    [Fact]
    public void Bench_reports_positive_rates_as_json()
    {
        CliRun run = CliRun.Of("bench", "--unet", "tiny", "--image-size", "16", "--batch-size", "2", "--steps", "3", "--timesteps", "200", "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using JsonDocument document = JsonDocument.Parse(run.Output);
        document.RootElement.GetProperty("trainImagesPerSecond").GetDouble().Should().BeGreaterThan(0);
        document.RootElement.GetProperty("ddpmImagesPerSecond").GetDouble().Should().BeGreaterThan(0);
        document.RootElement.GetProperty("ddimImagesPerSecond").GetDouble().Should().BeGreaterThan(0);

        // Rates are not compared with each other here: timings on a shared machine belong in benchmarks.
        document.RootElement.GetProperty("timesteps").GetInt32().Should().Be(200);
        document.RootElement.GetProperty("ddimSteps").GetInt32().Should().Be(50);
        document.RootElement.GetProperty("peakMemoryMiB").GetDouble().Should().BeGreaterThan(10);
    }
}
