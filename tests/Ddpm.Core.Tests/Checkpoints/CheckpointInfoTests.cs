using Ddpm.Core.Checkpoints;
using Ddpm.Core.Data;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Checkpoints;

[Collection(TensorLeakCollection.Name)]
public sealed class CheckpointInfoTests
{
    [Fact]
    public void A_saved_model_is_described_without_loading_weights()
    {
        using var folder = new TempDirectory();
        using DdpmModel model = TinyModels.Untrained(timesteps: 20, channels: 1, size: 8);
        model.Save(folder.File("m.ddpm"));

        CheckpointInfo info = CheckpointInfo.Read(folder.File("m.ddpm"));

        info.Kind.Should().Be("model");
        info.Architecture.Should().Be(model.Configuration!.Architecture);
        info.Network.Should().Be(model.Configuration.ToString());
        info.ParameterCount.Should().Be(model.ParameterCount);
        info.ImageShape.Should().Be(new ImageShape(1, 8, 8));
        info.Timesteps.Should().Be(20);
        info.Training.Should().BeNull();
        info.Sections.Should().Contain(["meta", "model", "scheduler", "network"]);
    }

    [Fact]
    public void A_training_checkpoint_shows_where_the_run_was()
    {
        using var folder = new TempDirectory();
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = TinyNetworks.SimpleUNet(),
            MaxSteps = 3,
            BatchSize = 4,
            Timesteps = 10,
            Seed = 9,
            CheckpointDirectory = folder.Path,
        });
        using (trainer.Fit(new InMemoryImageDataset(images)))
        {
        }

        CheckpointInfo info = CheckpointInfo.Read(Directory.GetFiles(folder.Path, "checkpoint-*.ddpm").Single());

        info.Kind.Should().Be("training");
        info.TrainedSteps.Should().Be(3);
        info.HasEma.Should().BeTrue();
        info.Training.Should().NotBeNull();
        info.Training!.Step.Should().Be(3);
        info.Training.Seed.Should().Be(9);
        info.Training.OptionsJson.Should().Contain("\"batchSize\":4");
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_rejected()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("x.ddpm"), "hello");

        var act = () => CheckpointInfo.Read(folder.File("x.ddpm"));
        var missing = () => CheckpointInfo.Read(folder.File("none.ddpm"));

        act.Should().Throw<CheckpointFormatException>();
        missing.Should().Throw<FileNotFoundException>();
    }
}
