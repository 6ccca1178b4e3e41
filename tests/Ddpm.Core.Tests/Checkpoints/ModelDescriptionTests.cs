using Ddpm.Core.Checkpoints;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Checkpoints;

/// <summary>The JSON beside exported weights (<see cref="ModelDescription"/>) and <see cref="DdpmModel.FromWeights"/>.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class ModelDescriptionTests
{
    [Theory]
    [InlineData("out/model.safetensors", "out/model.config.json")]
    [InlineData("model.pt", "model.config.json")]
    [InlineData("weights.bin", "weights.config.json")]
    [InlineData("model", "model.config.json")]
    public void The_description_lies_beside_the_weights(string weights, string description)
    {
        ModelDescription.PathFor(weights).Should().Be(description);
    }

    [Fact]
    public void A_model_described_written_read_and_rebuilt_from_its_weights_is_the_same_model()
    {
        using var folder = new TempDirectory();
        var configuration = new UNetConfiguration { ImageChannels = 1, BaseChannels = 8, ChannelMultipliers = [1, 2], BlocksPerLevel = 1, AttentionLevels = [1], AttentionHeads = 2, NormGroups = 4, Dropout = 0, ClassCount = 2 };
        using var original = new DdpmModel(configuration.CreateNetwork(), new NoiseScheduler(KnownBetaSchedules.Cosine, 30), new(1, 8, 8), configuration, trainedSteps: 7, prediction: PredictionType.Velocity)
        {
            ClassNames = ["cat", "dog"],
        };
        using (no_grad())
        {
            foreach (TorchSharp.Modules.Parameter p in original.Network.parameters())
            {
                p.normal_(0, 0.1);
            }
        }

        original.Describe().Write(folder.File("m.config.json"));
        ModelDescription read = ModelDescription.Read(folder.File("m.config.json"));
        using DdpmModel rebuilt = DdpmModel.FromWeights(read, original.Network.state_dict());

        read.Should().BeEquivalentTo(new { Schedule = "cosine", Prediction = PredictionType.Velocity, TrainedSteps = 7L, Weights = "ema", Timesteps = 30 });
        read.ClassNames.Should().Equal("cat", "dog");
        read.Betas.Should().Equal(original.Scheduler.BetaValues, "the exact betas travel, not a name to recompute them from");
        rebuilt.Scheduler.BetaValues.Should().Equal(original.Scheduler.BetaValues);
        rebuilt.Configuration.Should().BeEquivalentTo(configuration);
        rebuilt.ImageShape.Should().Be(original.ImageShape);
        rebuilt.PredictionType.Should().Be(PredictionType.Velocity);
        using Tensor x = randn(2, 1, 8, 8);
        using Tensor t = tensor(new long[] { 1, 29 });
        using Tensor a = original.Network.call(x, t);
        using Tensor b = rebuilt.Network.call(x, t);
        a.equal(b).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Weights_that_do_not_fit_are_refused_naming_what_differs()
    {
        ModelDescription description = ModelDescription.Read(Fixtures.PathOf("dotnet_export_tiny.config.json"));
        using StateDict weights = SafeTensors.Read(Fixtures.PathOf("unet_parity_small.safetensors"));

        Action load = () => DdpmModel.FromWeights(description, weights);

        load.Should().Throw<InvalidDataException>().WithMessage("The weights do not fit the network*");
    }

    [Theory]
    [InlineData("""{ "format": "something/1" }""", "*\"format\" is 'something/1'*")]
    [InlineData("""not json""", "*is not JSON*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "resnet", "configuration": {}, "imageShape": [1, 8, 8], "betas": [0.1] }""", "*\"architecture\" is 'resnet'*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "unet", "configuration": { "imageChannels": 1, "baseChannels": 8, "normGroups": 4, "channelMultipliers": [1, 2] }, "imageShape": [1, 9, 9], "betas": [0.1] }""", "*\"configuration\" and \"imageShape\" do not fit*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "unet", "configuration": { "imageChannels": 1, "baseChannels": 8, "normGroups": 4, "channelMultipliers": [1, 2] }, "imageShape": [1, 8, 8], "betas": [0.1, 1.5] }""", "*\"betas\" must hold*(0, 1]*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "unet", "configuration": { "imageChannels": 1, "baseChannels": 8, "normGroups": 4, "channelMultipliers": [1, 2] }, "imageShape": [1, 8, 8] }""", "*has no \"betas\"*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "unet", "configuration": { "imageChannels": 1, "baseChannels": 8, "normGroups": 4, "channelMultipliers": [1, 2] }, "imageShape": [1, 8, 8], "betas": [0.1], "timesteps": 2 }""", "*\"timesteps\" is 2 but \"betas\" holds 1*")]
    [InlineData("""{ "format": "ddpm-core-model/1", "architecture": "unet", "configuration": { "imageChannels": 1, "baseChannels": 8, "normGroups": 4, "channelMultipliers": [1, 2] }, "imageShape": [1, 8, 8], "betas": [0.1], "classNames": ["a"] }""", "*\"classNames\" holds 1 names but the network has 0 classes*")]
    public void A_bad_description_is_refused_naming_the_key(string json, string message)
    {
        Action parse = () => ModelDescription.Parse(json, "m.config.json");

        parse.Should().Throw<CheckpointFormatException>().WithMessage(message).And.Message.Should().Contain("m.config.json");
    }

    [Fact]
    public void A_missing_description_says_where_one_comes_from()
    {
        Action read = () => ModelDescription.Read("/no/such.config.json");

        read.Should().Throw<FileNotFoundException>().WithMessage("*ddpm export writes one beside the weights*");
    }
}
