using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Checkpoints;

/// <summary>
/// A training checkpoint written by an earlier commit (5646aa3, before the checkpoint format moved into
/// Checkpoints/TrainingCheckpoint) loads with today's code exactly as stored, and resumes from it exactly.
/// The file's numbers were computed on another CPU (a Zen 5 VM), whose kernels round differently, so nothing
/// here compares a number computed on this machine with one computed there: what was stored is compared with
/// what is read, and every run is compared with another run on this machine.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class CheckpointCompatibilityTests : IDisposable
{
    /// <summary>The losses of the fixture's three steps, as the file stores them.</summary>
    private static readonly float[] StoredLosses = [1.1775761f, 0.9964479f, 0.9247318f];

    private static readonly string Old = Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Fixtures", "training-checkpoint-5646aa3.ddpm");

    private readonly TempDirectory _folder = new();
    private readonly Tensor _images = SyntheticImages.Squares(16, 1, 8);

    public void Dispose()
    {
        _images.Dispose();
        _folder.Dispose();
    }

    private static DdpmTrainerOptions Options(long steps, string checkpoints) => new()
    {
        Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
        MaxSteps = steps,
        BatchSize = 4,
        Timesteps = 10,
        Seed = 1,
        // The fixture's run computed in float32; its continuation must too (Auto would pick bfloat16 on some CPUs).
        Precision = TrainingPrecision.Float32,
        CheckpointDirectory = checkpoints,
        CheckpointsToKeep = 10,
    };

    [Fact]
    public void A_training_checkpoint_from_commit_5646aa3_loads_every_tensor_the_losses_and_the_random_state_as_stored()
    {
        // Resumed and cancelled before its first step, the run writes back exactly what it restored.
        string folder = _folder.File("loaded");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var resume = () => new DdpmTrainer(Options(5, folder)).Fit(new InMemoryImageDataset(_images), Old, cancellationToken: cancelled.Token);
        string written = resume.Should().Throw<TrainingCanceledException>().Which.CheckpointPath!;

        using (CheckpointReader old = CheckpointReader.Open(Old))
        {
            old.SectionNames.Should().Contain([CheckpointSections.Network, CheckpointSections.Ema, CheckpointSections.Optimizer, CheckpointSections.Random, CheckpointSections.History]);
            ModelCheckpoint.ReadLosses(old).Should().Equal(StoredLosses, "the fixture stores the losses of its three steps");
        }

        written.Should().EndWith("checkpoint-00000003.ddpm");
        CheckpointAssert.SameRunState(written, Old);
    }

    [Fact]
    public void Resuming_a_checkpoint_from_commit_5646aa3_in_one_run_or_in_two_ends_in_the_same_state()
    {
        var dataset = new InMemoryImageDataset(_images);
        string straight = _folder.File("straight");
        string split = _folder.File("split");

        using DdpmModel once = new DdpmTrainer(Options(5, straight)).Fit(dataset, Old);
        using (new DdpmTrainer(Options(4, split)).Fit(dataset, Old))
        {
        }

        using DdpmModel twice = new DdpmTrainer(Options(5, split)).Fit(dataset, split);

        once.TrainedSteps.Should().Be(5);
        once.LossHistory.Take(3).Should().Equal(StoredLosses, "the history starts with the stored losses");
        twice.LossHistory.Should().Equal(once.LossHistory);
        CheckpointAssert.SameRunState(Path.Combine(split, "checkpoint-00000005.ddpm"), Path.Combine(straight, "checkpoint-00000005.ddpm"));
    }

    [Theory]
    [InlineData(CheckpointSections.Random, "generator")]
    [InlineData(CheckpointSections.Optimizer, "conv0.weight.exp_avg_sq")]
    public void The_resume_check_fails_when_a_run_loses_part_of_its_state(string section, string tensor)
    {
        // The same two-part resume as above, with one tensor of the step-4 checkpoint replaced by what a fresh
        // run would hold, as a resume that dropped it would leave: the two runs must then be told apart.
        var dataset = new InMemoryImageDataset(_images);
        string straight = _folder.File("straight");
        string split = _folder.File("split");
        using (new DdpmTrainer(Options(5, straight)).Fit(dataset, Old))
        using (new DdpmTrainer(Options(4, split)).Fit(dataset, Old))
        {
        }

        string middle = Path.Combine(split, "checkpoint-00000004.ddpm");
        CheckpointAssert.Rewrite(middle, section, tensor, stored => section == CheckpointSections.Random ? FreshGeneratorState() : zeros_like(stored));
        using (new DdpmTrainer(Options(5, split)).Fit(dataset, middle))
        {
        }

        var compare = () => CheckpointAssert.SameRunState(Path.Combine(split, "checkpoint-00000005.ddpm"), Path.Combine(straight, "checkpoint-00000005.ddpm"));
        compare.Should().Throw<Exception>("a resume that lost {0}/{1} does not continue the run", section, tensor);
    }

    private static Tensor FreshGeneratorState()
    {
        using var generator = new TorchSharp.torch.Generator(1);
        return generator.get_state();
    }
}
