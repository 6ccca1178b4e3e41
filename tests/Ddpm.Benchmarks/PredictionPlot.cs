using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Imaging;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Shows what a trained network does in one step (docs/images/prediction.png, used by docs/concepts.md):
/// a test image noised to x_t at several t (top row) and the network's one-step estimate
/// x̂_0 = (x_t - √(1-ᾱ_t) ε̂) / √ᾱ_t (bottom row).
/// </summary>
internal static class PredictionPlot
{
    public static int Run(string modelPath, string data, string output, int index)
    {
        using DdpmModel model = DdpmModel.Load(modelPath);
        var dataset = new IdxImageDataset(data, padTo: model.ImageShape.Height);
        using var scope = NewDisposeScope();
        var pixels = new float[dataset.Shape.ElementCount];
        dataset.CopyImage(index, pixels);
        // The same fractions of T for any T: at T = 300 these are t = 20, 60, 100, 150, 200, 250 and 299.
        int last = model.Scheduler.Timesteps - 1;
        long[] steps = new[] { 20, 60, 100, 150, 200, 250, 299 }.Select(s => (long)Math.Round(s * last / 299.0)).ToArray();
        Tensor x0 = tensor(pixels, [1, 1, dataset.Shape.Height, dataset.Shape.Width]).expand(steps.Length, -1, -1, -1);
        Tensor t = tensor(steps);
        using var generator = new Generator(0);
        using ForwardDiffusionSample noised = model.Scheduler.AddNoise(x0, t, generator);
        using var noGrad = no_grad();
        var network = model.EmaNetwork ?? model.Network;
        Tensor estimate = model.Scheduler.PredictStartFromNoise(noised.NoisySample, t, network.call(noised.NoisySample, t)).clamp(-1, 1);
        ImageGrid.SavePng(cat([noised.NoisySample.clamp(-1, 1), estimate]), output, columns: steps.Length);
        Console.WriteLine($"Wrote {output}: x_t at t = {string.Join(", ", steps)} (top) and the network's x̂_0 (bottom)");
        return 0;
    }
}
