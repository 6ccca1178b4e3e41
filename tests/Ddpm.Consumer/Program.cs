using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Imaging;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using static TorchSharp.torch;

// A package consumer: trains a tiny model 20 steps on the CPU, samples 4 images, saves a PNG and
// checks it. Exit code 0 when the PNG exists and holds a 2x2 grid of 16x16 images.
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
bool ok = file.Length > 0 && png.Width == 2 + (2 * (16 + 2)) && png.Height == png.Width;
Console.WriteLine($"{(ok ? "OK" : "FAILED")}: trained {model.TrainedSteps} steps, wrote {output} ({file.Length} bytes, {png.Width}x{png.Height})");
return ok ? 0 : 1;
