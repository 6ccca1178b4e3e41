using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Sampling;
using Ddpm.Evaluation;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// What clamping x_t to [-1, 1] after every step does to sample quality (docs/sampling.md): the same model,
/// method and seeds with <c>ClampEachStep</c> off and on, scored by the Fashion-MNIST evaluator, and a second
/// seed without clamping for the run-to-run band.
/// </summary>
internal static class ClampQuality
{
    public static int Run(string modelPath, int count, string method, int steps)
    {
        using DdpmModel model = DdpmModel.Load(modelPath);
        using var evaluator = SampleQualityEvaluator.Load();
        SamplingMethod samplingMethod = method == "ddpm" ? SamplingMethod.Ddpm : SamplingMethod.Ddim;
        Console.WriteLine($"Model {modelPath}: {model.Configuration}, T = {model.Scheduler.Timesteps}, {model.TrainedSteps} steps; {count} samples each, {method.ToUpperInvariant()} in {steps} steps; CPU {Core.Kernels.CpuKernels.Cpu}");
        Console.WriteLine($"{"clamp x_t",-10} {"seed",5} {"FD",8} {"entropy",8} {"confidence",11} {"mean",7} {"seconds",8}");
        foreach ((bool clamp, int seed) in new[] { (false, 1), (true, 1), (false, 2) })
        {
            var sampler = new DdpmSampler(new DdpmSamplerOptions { Method = samplingMethod, Steps = steps, Seed = seed, ClampEachStep = clamp, BatchSize = 100 });
            var clock = Stopwatch.StartNew();
            using Tensor images = sampler.Sample(model, count);
            double seconds = clock.Elapsed.TotalSeconds;
            SampleQuality quality = evaluator.Evaluate(images);
            using Tensor mean = images.add(1).div(2).mean();
            Console.WriteLine($"{(clamp ? "on" : "off"),-10} {seed,5} {quality.FrechetDistance,8:F2} {quality.ClassEntropy,8:F3} {quality.MeanConfidence,11:P1} {mean.item<float>(),7:F3} {seconds,8:F0}");
        }

        return 0;
    }
}
