using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class CheckpointAndResumeTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly Tensor _images = SyntheticImages.Squares(48, 1, 8);

    public void Dispose()
    {
        _images.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void An_interrupted_and_resumed_run_equals_the_uninterrupted_run_exactly()
    {
        var dataset = new InMemoryImageDataset(_images);
        var uninterrupted = new RecordingProgress<TrainingProgress>();
        using DdpmModel reference = new DdpmTrainer(Options(Path.Combine(_folder.Path, "a"))).Fit(dataset, uninterrupted);

        // The same run, cancelled after step 7 (a checkpoint is written then), then resumed from the folder.
        string folder = Path.Combine(_folder.Path, "b");
        using var cancellation = new CancellationTokenSource();
        var firstPart = new RecordingProgress<TrainingProgress>(r =>
        {
            if (r.Step == 7)
            {
                cancellation.Cancel();
            }
        });
        var cancel = () => new DdpmTrainer(Options(folder)).Fit(dataset, firstPart, cancellation.Token);
        cancel.Should().Throw<TrainingCanceledException>().Which.CheckpointPath.Should().EndWith("checkpoint-00000007.ddpm");

        var secondPart = new RecordingProgress<TrainingProgress>();
        using DdpmModel resumed = new DdpmTrainer(Options(folder)).Fit(dataset, folder, secondPart);

        secondPart.Reports.Select(r => r.Step).Should().Equal(Enumerable.Range(8, 9).Select(i => (long)i));
        firstPart.Reports.Concat(secondPart.Reports).Select(r => r.Loss)
            .Should().Equal(uninterrupted.Reports.Select(r => r.Loss), "the loss sequence must be bit-identical");
        resumed.LossHistory.Should().Equal(reference.LossHistory);
        resumed.TrainedSteps.Should().Be(16);
        AssertSameWeights(resumed.Network, reference.Network);
        AssertSameWeights(resumed.EmaNetwork!, reference.EmaNetwork!);
    }

    [Fact]
    public void Resuming_from_an_intermediate_checkpoint_file_reproduces_the_rest_of_the_run()
    {
        var dataset = new InMemoryImageDataset(_images);
        string folder = Path.Combine(_folder.Path, "c");
        var full = new RecordingProgress<TrainingProgress>();
        using DdpmModel reference = new DdpmTrainer(Options(folder, keep: 10)).Fit(dataset, full);
        string middle = Path.Combine(folder, "checkpoint-00000008.ddpm");

        var rest = new RecordingProgress<TrainingProgress>();
        using DdpmModel resumed = new DdpmTrainer(Options(Path.Combine(_folder.Path, "c2"))).Fit(dataset, middle, rest);

        rest.Reports.Select(r => r.Loss).Should().Equal(full.Reports.Skip(8).Select(r => r.Loss));
        AssertSameWeights(resumed.Network, reference.Network);
    }

    [Fact]
    public void Checkpoints_are_written_every_interval_and_at_the_end_and_only_the_newest_are_kept()
    {
        string folder = Path.Combine(_folder.Path, "d");
        var options = Options(folder, keep: 2);
        options.MaxSteps = 10;
        options.CheckpointInterval = 3;

        using DdpmModel model = new DdpmTrainer(options).Fit(new InMemoryImageDataset(_images));

        Directory.GetFiles(folder).Select(Path.GetFileName).Order()
            .Should().Equal("checkpoint-00000009.ddpm", "checkpoint-00000010.ddpm");
    }

    [Fact]
    public void A_saved_model_loads_back_with_identical_outputs_for_both_weight_sets()
    {
        using DdpmModel model = new DdpmTrainer(Options(null)).Fit(new InMemoryImageDataset(_images));
        string path = _folder.File("model.ddpm");

        model.Save(path);
        using DdpmModel loaded = DdpmModel.Load(path);

        loaded.TrainedSteps.Should().Be(16);
        loaded.ImageShape.Should().Be(model.ImageShape);
        loaded.LossHistory.Should().Equal(model.LossHistory);
        loaded.Configuration.Should().BeOfType<SimpleUNetConfiguration>().Which.DownChannels.Should().Equal(4, 8);
        loaded.Scheduler.Timesteps.Should().Be(20);
        loaded.Scheduler.Betas.IsIdenticalTo(model.Scheduler.Betas).Should().BeTrue();
        using Tensor x = randn(2, 1, 8, 8);
        using Tensor t = tensor(new long[] { 3, 17 });
        using (no_grad())
        {
            loaded.Network.call(x, t).IsIdenticalTo(model.Network.call(x, t)).Should().BeTrue();
            loaded.EmaNetwork!.call(x, t).IsIdenticalTo(model.EmaNetwork!.call(x, t)).Should().BeTrue();
        }

        using Tensor a = new DdpmSampler(new DdpmSamplerOptions { Seed = 1 }).Sample(model, 2);
        using Tensor b = new DdpmSampler(new DdpmSamplerOptions { Seed = 1 }).Sample(loaded, 2);
        b.IsIdenticalTo(a).Should().BeTrue();
    }

    [Fact]
    public void A_checkpoint_from_another_architecture_is_rejected_naming_the_mismatch()
    {
        using DdpmModel model = new DdpmTrainer(Options(null)).Fit(new InMemoryImageDataset(_images));
        string path = _folder.File("model.ddpm");
        model.Save(path);

        var wider = () => DdpmModel.Load(path, configuration: new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 16], TimeEmbeddingDim = 8 });

        wider.Should().Throw<CheckpointFormatException>()
            .WithMessage("*the 'network' weights do not fit the network (25 tensor(s) loaded; 17 mis-shaped: *downs.0.conv1.weight: file Float32 [8, 4, 3, 3], network Float32 [16, 4, 3, 3]*different architecture or configuration*");
    }

    [Fact]
    public void Resuming_with_other_network_or_schedule_options_is_refused_with_advice()
    {
        string folder = Path.Combine(_folder.Path, "e");
        using (new DdpmTrainer(Options(folder)).Fit(new InMemoryImageDataset(_images)))
        {
        }

        var otherNetwork = Options(folder);
        otherNetwork.Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 16], TimeEmbeddingDim = 8 };
        var otherSchedule = Options(folder);
        otherSchedule.Schedule = KnownBetaSchedules.Cosine;

        var network = () => new DdpmTrainer(otherNetwork).Fit(new InMemoryImageDataset(_images), folder);
        var schedule = () => new DdpmTrainer(otherSchedule).Fit(new InMemoryImageDataset(_images), folder);

        network.Should().Throw<CheckpointFormatException>().WithMessage("*trained with SimpleUNet*widths [4, 8]*options describe*widths [4, 16]*FineTuneFrom*");
        schedule.Should().Throw<CheckpointFormatException>().WithMessage("*T = 20 (linear*options say T = 20 (cosine*");
    }

    [Fact]
    public void A_saved_model_cannot_be_resumed_but_can_start_a_fine_tuning_run()
    {
        using DdpmModel model = new DdpmTrainer(Options(null)).Fit(new InMemoryImageDataset(_images));
        string path = _folder.File("model.ddpm");
        model.Save(path);

        var resume = () => new DdpmTrainer(Options(null)).Fit(new InMemoryImageDataset(_images), path);
        resume.Should().Throw<CheckpointFormatException>().WithMessage("*holds a saved model, not a training run*FineTuneFrom*");

        var fineTune = Options(null);
        fineTune.FineTuneFrom = path;
        fineTune.MaxSteps = 1;
        fineTune.LearningRate = 1e-9;
        using DdpmModel tuned = new DdpmTrainer(fineTune).Fit(new InMemoryImageDataset(_images));

        tuned.TrainedSteps.Should().Be(1, "fine-tuning starts a new run at step 0");
        using Tensor before = model.EmaNetwork!.state_dict()["conv0.weight"];
        tuned.Network.state_dict()["conv0.weight"].allclose(before, rtol: 0, atol: 1e-6).Should().BeTrue("it starts from the saved EMA weights");
    }

    [Fact]
    public void Resuming_from_a_folder_skips_a_damaged_newest_checkpoint()
    {
        string folder = Path.Combine(_folder.Path, "f");
        var options = Options(folder, keep: 5);
        using (new DdpmTrainer(options).Fit(new InMemoryImageDataset(_images)))
        {
        }

        // Damage the newest (step 16): truncate it.
        string newest = Path.Combine(folder, "checkpoint-00000016.ddpm");
        File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..100]);
        options.MaxSteps = 16;
        var progress = new RecordingProgress<TrainingProgress>();

        using DdpmModel resumed = new DdpmTrainer(options).Fit(new InMemoryImageDataset(_images), folder, progress);

        progress.Reports.First().Step.Should().Be(13, "the run continues from step 12, the newest intact checkpoint");
    }

    [Fact]
    public void A_new_run_removes_temporary_files_left_by_a_killed_write()
    {
        string folder = Path.Combine(_folder.Path, "g");
        Directory.CreateDirectory(folder);
        string leftover = Path.Combine(folder, ".checkpoint-00000004.ddpm.0123456789abcdef.tmp");
        File.WriteAllBytes(leftover, new byte[100]);

        using (new DdpmTrainer(Options(folder)).Fit(new InMemoryImageDataset(_images)))
        {
        }

        File.Exists(leftover).Should().BeFalse();
        Directory.GetFiles(folder).Should().OnlyContain(f => Path.GetFileName(f).StartsWith("checkpoint-", StringComparison.Ordinal));
    }

    [Fact]
    public void Loading_a_checkpoint_folder_loads_its_newest_readable_checkpoint_as_resuming_does()
    {
        string folder = Path.Combine(_folder.Path, "load");
        using DdpmModel trained = new DdpmTrainer(Options(folder)).Fit(new InMemoryImageDataset(_images));
        File.WriteAllText(Path.Combine(folder, "checkpoint-00000099.ddpm"), "damaged");

        using DdpmModel loaded = DdpmModel.Load(folder);

        loaded.TrainedSteps.Should().Be(16, "checkpoint-00000016.ddpm is the newest that opens");
        AssertSameWeights(loaded.Network, trained.Network);
        var empty = () => DdpmModel.Load(_folder.Path);
        empty.Should().Throw<FileNotFoundException>().WithMessage($"The folder '{_folder.Path}' holds no readable checkpoint (checkpoint-NNNNNNNN.ddpm)*");
    }

    [Fact]
    public void A_missing_resume_source_is_reported()
    {
        var act = () => new DdpmTrainer(Options(null)).Fit(new InMemoryImageDataset(_images), _folder.File("nothing-here"));

        act.Should().Throw<FileNotFoundException>().WithMessage("*neither a file nor a folder*");
    }

    [Fact]
    public void A_checkpoint_the_file_system_refuses_stops_training_and_names_the_intact_previous_one()
    {
        var dataset = new InMemoryImageDataset(_images);
        string folder = Path.Combine(_folder.Path, "refused");
        var full = new RecordingProgress<TrainingProgress>();
        using (new DdpmTrainer(Options(Path.Combine(_folder.Path, "whole"))).Fit(dataset, full))
        {
        }

        // A directory where step 8's checkpoint must go: the rename onto it fails, as a full disk or a
        // read-only folder would fail the write (this works as root too, where permissions do not).
        Directory.CreateDirectory(Path.Combine(folder, "checkpoint-00000008.ddpm"));
        var act = () => new DdpmTrainer(Options(folder)).Fit(dataset);

        var error = act.Should().Throw<CheckpointWriteException>().Which;
        error.Step.Should().Be(8);
        error.Path.Should().EndWith("checkpoint-00000008.ddpm");
        error.PreviousCheckpoint.Should().EndWith("checkpoint-00000004.ddpm");
        error.Message.Should().Contain("step 8").And.Contain("is intact").And.Contain("resume").And.Contain("writable folder");
        error.InnerException.Should().BeAssignableTo<IOException>();
        Directory.EnumerateFiles(folder, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }).Should().BeEmpty("the failed write removes its temporary file");

        // Nothing is lost beyond the last interval: the run resumes from the named checkpoint and ends as the whole run did.
        var rest = new RecordingProgress<TrainingProgress>();
        using DdpmModel resumed = new DdpmTrainer(Options(Path.Combine(_folder.Path, "resumed"))).Fit(dataset, error.PreviousCheckpoint!, rest);
        rest.Reports.Select(r => r.Loss).Should().Equal(full.Reports.Skip(4).Select(r => r.Loss));
    }

    [Fact]
    public void A_sample_grid_that_cannot_be_written_is_logged_and_training_goes_on()
    {
        string blocked = Path.Combine(_folder.Path, "not-a-folder");
        File.WriteAllText(blocked, "a file where the sample folder should be");
        var options = Options(folder: null);
        options.SampleInterval = 2;
        options.SampleCount = 2;
        options.SampleDirectory = blocked;
        options.PreviewSampling = new DdpmSamplerOptions { Method = SamplingMethod.Ddim, Steps = 2, Seed = 1 };
        var logger = new RecordingLogger<DdpmTrainer>();

        using DdpmModel model = new DdpmTrainer(options, logger).Fit(new InMemoryImageDataset(_images));

        model.TrainedSteps.Should().Be(16);
        logger.Errors.Should().HaveCount(8).And.AllSatisfy(e => e.Should().Contain("Could not write the sample grid").And.Contain("Training continues"));
    }

    private static DdpmTrainerOptions Options(string? folder, int keep = 3) => new()
    {
        Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
        MaxSteps = 16,
        BatchSize = 8,
        Timesteps = 20,
        Seed = 21,
        Ema = new EmaOptions { MaxDecay = 0.9 },
        CheckpointDirectory = folder,
        CheckpointInterval = 4,
        CheckpointsToKeep = keep,
    };

    private static void AssertSameWeights(TorchSharp.torch.nn.Module a, TorchSharp.torch.nn.Module b)
    {
        var left = a.state_dict();
        var right = b.state_dict();
        left.Keys.Should().BeEquivalentTo(right.Keys);
        foreach (string key in left.Keys)
        {
            left[key].IsIdenticalTo(right[key]).Should().BeTrue($"{key} must be bit-identical");
        }
    }
}
