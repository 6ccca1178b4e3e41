using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class ClassConditionalTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_class_conditional_UNet_draws_the_class_it_is_asked_for_with_guidance()
    {
        // Class 0: the left half is white; class 1: the right half is white; the rest is black.
        using Tensor labels = arange(64, dtype: ScalarType.Int64) % 2;
        using Tensor images = full(new long[] { 64, 1, 8, 8 }, -1f);
        using (no_grad())
        {
            images[TensorIndex.Slice(0, null, 2), TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 4)] = tensor(1f);
            images[TensorIndex.Slice(1, null, 2), TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(4, 8)] = tensor(1f);
        }

        var dataset = new InMemoryImageDataset(images, labels, ["left", "right"]);
        var network = UNetPresets.Tiny(1);
        network.ClassCount = 2;
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = network,
            ClassConditional = true,
            LabelDropout = 0.2,
            RandomHorizontalFlip = false,
            MaxSteps = 400,
            BatchSize = 16,
            Timesteps = 50,

            // Cosine: with only 50 steps the linear schedule leaves ᾱ_T ≈ 0.6, far from pure noise.
            Schedule = Ddpm.Core.Schedules.KnownBetaSchedules.Cosine,
            Loss = LossType.L2,
            Seed = 5,
        });

        using DdpmModel model = trainer.Fit(dataset);

        model.ClassNames.Should().Equal("left", "right");

        // Mean of the left half minus mean of the right half: +2 for a perfect class 0, -2 for class 1.
        double LeftMinusRight(int label, double guidance)
        {
            var options = new DdpmSamplerOptions { Seed = 2, Method = SamplingMethod.Ddim, Steps = 20, Classes = [label], GuidanceScale = guidance };
            using Tensor samples = new DdpmSampler(options).Sample(model, 8);
            using var scope = NewDisposeScope();
            return (samples[.., .., .., ..4].mean() - samples[.., .., .., 4..].mean()).item<float>();
        }

        double left = LeftMinusRight(0, 3);
        double right = LeftMinusRight(1, 3);
        left.Should().BeGreaterThan(1, "class 0 has its left half white");
        right.Should().BeLessThan(-1, "class 1 has its right half white");
        LeftMinusRight(0, 1).Should().BeGreaterThan(1, "unguided conditional sampling follows the class too");

        string path = _folder.File("conditional.ddpm");
        model.Save(path);
        using DdpmModel loaded = DdpmModel.Load(path);
        loaded.ClassNames.Should().Equal("left", "right");
        loaded.Network.Should().BeOfType<UNet>().Which.ClassCount.Should().Be(2);
    }

    [Fact]
    public void Conditioning_without_labels_or_with_a_mismatched_network_is_refused_with_advice()
    {
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        using Tensor labels = arange(16, dtype: ScalarType.Int64) % 4;
        var network = UNetPresets.Tiny(1);
        network.ClassCount = 3;
        var options = new DdpmTrainerOptions { Network = network, ClassConditional = true, BatchSize = 8, MaxSteps = 1 };
        var simpleOptions = new DdpmTrainerOptions
        {
            Network = new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 },
            ClassConditional = true,
            BatchSize = 8,
            MaxSteps = 1,
        };

        var unlabeled = () => new DdpmTrainer(options).Fit(new InMemoryImageDataset(images));
        var mismatched = () => new DdpmTrainer(options).Fit(new InMemoryImageDataset(images, labels));
        var simple = () => new DdpmTrainer(simpleOptions).Fit(new InMemoryImageDataset(images, labels));

        unlabeled.Should().Throw<ArgumentException>().WithMessage("ClassConditional is true but the dataset has no class labels*");
        mismatched.Should().Throw<ArgumentException>().WithMessage("*dataset has 4 classes*is built for 3*ClassCount = 4*");
        simple.Should().Throw<ArgumentException>().WithMessage("*cannot take class labels*");
    }

    [Fact]
    public void Classes_for_an_unconditional_model_or_beyond_its_range_are_refused()
    {
        using DdpmModel model = TinyModels.Untrained();

        var unconditional = () => new DdpmSampler(new DdpmSamplerOptions { Classes = [0] }).Sample(model, 1);
        var empty = () => new DdpmSampler(new DdpmSamplerOptions { Classes = [] });
        var guidance = () => new DdpmSampler(new DdpmSamplerOptions { GuidanceScale = -1 });

        unconditional.Should().Throw<ArgumentException>().WithMessage("*Classes is set but the model is not class-conditional*");
        empty.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("Classes must be null or hold*");
        guidance.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("GuidanceScale is -1*");
    }
}
