using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Imaging;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Ddpm.Evaluation;
using static TorchSharp.torch;

// A package consumer: trains a tiny model 20 steps on the CPU, samples 4 images, saves a PNG and
// checks it, and scores 8 images with the Ddpm.Evaluation package's classifier. Exit code 0 when the
// PNG exists and holds a 2x2 grid of 16x16 images and the scores are finite.
string output = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "ddpm-consumer.png");
manual_seed(0);
using Tensor images = (rand(64, 1, 16, 16) > 0.5).to(ScalarType.Float32) * 2 - 1;
var trainer = new DdpmTrainer(new DdpmTrainerOptions
{
    Network = UNetPresets.Tiny(1),
    MaxSteps = 20,
    BatchSize = 8,
    Timesteps = 50,
    Seed = 0,
});
using DdpmModel model = trainer.Fit(new InMemoryImageDataset(images));
var sampler = new DdpmSampler(new DdpmSamplerOptions { Method = SamplingMethod.Ddim, Steps = 10, Seed = 0 });
using Tensor samples = sampler.Sample(model, 4);
ImageGrid.SavePng(samples, output, columns: 2);

var file = new FileInfo(output);
using var png = SixLabors.ImageSharp.Image.Load(output);
using var evaluator = SampleQualityEvaluator.Load();
using Tensor scored = rand(8, 1, 32, 32) * 2 - 1;
SampleQuality quality = evaluator.Evaluate(scored);
bool ok = file.Length > 0 && png.Width == 2 + (2 * (16 + 2)) && png.Height == png.Width && double.IsFinite(quality.FrechetDistance);
Console.WriteLine($"{(ok ? "OK" : "FAILED")}: trained {model.TrainedSteps} steps, wrote {output} ({file.Length} bytes, {png.Width}x{png.Height}); Ddpm.Evaluation scored 8 images (FD {quality.FrechetDistance:F1}, classifier accuracy {evaluator.ClassifierAccuracy:P1})");
return ok ? 0 : 1;
