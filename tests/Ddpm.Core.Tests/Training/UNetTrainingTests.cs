using Ddpm.Core.Data;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Training;

[Collection(TensorLeakCollection.Name)]
public sealed class UNetTrainingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_tiny_UNet_trains_samples_in_eval_mode_and_round_trips_through_a_checkpoint()
    {
        using Tensor images = SyntheticImages.Squares(128, 1, 8);
        var progress = new RecordingProgress<TrainingProgress>();
        var trainer = new DdpmTrainer(new DdpmTrainerOptions
        {
            Network = UNetPresets.Tiny(1),
            MaxSteps = 150,
            BatchSize = 16,
            Timesteps = 50,
            Loss = LossType.L2,
            Seed = 3,
        });

        using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images), progress);

        double first = progress.Reports.Take(10).Average(r => r.Loss);
        double last = progress.Reports.TakeLast(10).Average(r => r.Loss);
        last.Should().BeLessThan(0.7 * first);
        using Tensor samples = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Method = SamplingMethod.Ddim, Steps = 10 }).Sample(model, 4);
        samples.shape.Should().Equal(4, 1, 8, 8);
        samples.isfinite().all().item<bool>().Should().BeTrue();

        string path = _folder.File("unet.ddpm");
        model.Save(path);
        using DdpmModel loaded = DdpmModel.Load(path);
        loaded.Configuration.Should().BeOfType<UNetConfiguration>().Which.BaseChannels.Should().Be(16);
        using Tensor again = new DdpmSampler(new DdpmSamplerOptions { Seed = 1, Method = SamplingMethod.Ddim, Steps = 10 }).Sample(loaded, 4);
        again.IsIdenticalTo(samples).Should().BeTrue();
    }
}
