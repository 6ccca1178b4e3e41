using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Checkpoints;

/// <summary>
/// A training checkpoint written by an earlier commit (5646aa3, before the checkpoint format moved into
/// Checkpoints/TrainingCheckpoint) resumes with today's code exactly as today's own would.
/// </summary>
[Collection(TensorLeakCollection.Name)]
public sealed class CheckpointCompatibilityTests
{
    private static DdpmTrainerOptions Options(long steps) => new()
    {
        Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
        MaxSteps = steps,
        BatchSize = 4,
        Timesteps = 10,
        Seed = 1,
        // The fixture's run computed in float32; the uninterrupted run must too (Auto would pick bfloat16 on some CPUs).
        Precision = TrainingPrecision.Float32,
    };

    [Fact]
    public void A_training_checkpoint_from_commit_5646aa3_resumes_bit_for_bit()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var dataset = new InMemoryImageDataset(images);
        string old = Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Fixtures", "training-checkpoint-5646aa3.ddpm");

        using DdpmModel resumed = new DdpmTrainer(Options(5)).Fit(dataset, old);
        using DdpmModel straight = new DdpmTrainer(Options(5)).Fit(dataset);

        resumed.TrainedSteps.Should().Be(5);
        resumed.LossHistory.Should().Equal(straight.LossHistory, "the three stored losses and the two new ones match an uninterrupted run");
        foreach (((string name, Tensor a), (_, Tensor b)) in resumed.Network.state_dict().Zip(straight.Network.state_dict()))
        {
            a.equal(b).all().item<bool>().Should().BeTrue($"{name} matches the uninterrupted run");
        }
    }
}
