using System.Globalization;
using System.Text;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Imaging;
using Ddpm.Core.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Cli.Output;

/// <summary>The pictures and curves <c>ddpm</c> writes.</summary>
internal static class Pictures
{
    /// <summary>Images in the forward and denoising strips.</summary>
    public const int StripLength = 10;

    /// <summary>The notebook's forward-noising strip: one training image noised at evenly spaced t from 0 to T-1.</summary>
    public static void WriteForwardStrip(IImageDataset dataset, NoiseScheduler scheduler, string path, int index, int seed)
    {
        using var scope = NewDisposeScope();
        ImageShape shape = dataset.Shape;
        var pixels = new float[shape.ElementCount];
        dataset.CopyImage(index, pixels);
        Device device = scheduler.Device;
        Tensor x0 = tensor(pixels, [1, shape.Channels, shape.Height, shape.Width]).to(device);
        long[] steps = Enumerable.Range(0, StripLength).Select(i => (long)((scheduler.Timesteps - 1) * i / (StripLength - 1))).ToArray();
        using var generator = new Generator((ulong)seed);
        using ForwardDiffusionSample noised = scheduler.AddNoise(
            x0.expand(steps.Length, -1, -1, -1), tensor(steps, device: device), generator: device.type == DeviceType.CPU ? generator : null);
        ImageGrid.SavePng(noised.NoisySample.clamp(-1, 1), path, columns: steps.Length);
    }

    /// <summary>
    /// Samples <paramref name="count"/> images, writing the grid and one image's reverse process at
    /// evenly spaced steps (the denoising strip) when the paths are given. Returns the images; the caller owns them.
    /// </summary>
    public static Tensor Sample(DdpmModel model, DdpmSampler sampler, int count, string? gridPath, string? denoisingPath, IProgress<SamplingProgress>? progress, CancellationToken cancellationToken)
    {
        int[] visited = sampler.GetTimesteps(model);
        var shown = new HashSet<int>(Enumerable.Range(0, StripLength).Select(i => visited[(visited.Length - 1) * i / (StripLength - 1)]));
        var progression = new List<Tensor>();
        try
        {
            Tensor samples = sampler.Sample(
                model,
                count,
                denoisingPath is null ? null : step =>
                {
                    if (step.BatchIndex == 0 && shown.Contains(step.Timestep))
                    {
                        progression.Add(step.Sample[0].cpu().clone());
                    }
                },
                progress,
                cancellationToken);
            if (gridPath is not null)
            {
                ImageGrid.SavePng(samples, gridPath);
            }

            if (denoisingPath is not null && progression.Count > 0)
            {
                using Tensor strip = stack(progression);
                ImageGrid.SavePng(strip.clamp(-1, 1), denoisingPath, columns: progression.Count);
            }

            return samples;
        }
        finally
        {
            progression.ForEach(t => t.Dispose());
        }
    }

    /// <summary>Writes every image as its own PNG, named by index.</summary>
    public static void WriteIndividual(Tensor images, string folder)
    {
        Directory.CreateDirectory(folder);
        int digits = Math.Max(4, images.shape[0].ToString(CultureInfo.InvariantCulture).Length);
        for (int i = 0; i < images.shape[0]; i++)
        {
            using Tensor image = images[i];
            using var picture = ImageTensors.ToImage(image);
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(picture, Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0') + ".png"));
        }
    }

    /// <summary>Writes loss.csv (step, loss) and loss.png.</summary>
    public static void WriteLoss(IReadOnlyList<float> losses, long lastStep, string folder)
    {
        long first = lastStep - losses.Count + 1;
        var csv = new StringBuilder("step,loss\n");
        for (int i = 0; i < losses.Count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{first + i},{losses[i]:G6}\n");
        }

        File.WriteAllText(Path.Combine(folder, "loss.csv"), csv.ToString());
        if (losses.Any(float.IsFinite))
        {
            if (!LossPlot.HasFonts)
            {
                Console.Error.WriteLine($"ddpm: loss.png: {LossPlot.NoFontsAdvice}.");
            }

            LossPlot.SavePng(losses, Path.Combine(folder, "loss.png"), Math.Max(0, first));
        }
    }
}
