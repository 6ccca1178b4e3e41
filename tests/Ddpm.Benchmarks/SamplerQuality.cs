using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Sampling;
using Ddpm.Evaluation;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Quality and speed of each sampling method on one trained Fashion-MNIST model (docs/sampling.md): the same seed
/// and count for every method and step count, scored by the evaluator, with images/s and the speed ratio to DDIM-50
/// measured in the same run.
/// </summary>
internal static class SamplerQuality
{
    public static int Run(string modelPath, int count)
    {
        using DdpmModel model = DdpmModel.Load(modelPath);
        using var evaluator = SampleQualityEvaluator.Load();
        (SamplingMethod Method, int Steps)[] rows =
        [
            (SamplingMethod.Ddim, 50), (SamplingMethod.Ddim, 20), (SamplingMethod.Ddim, 10),
            (SamplingMethod.DpmSolverPlusPlus2M, 20), (SamplingMethod.DpmSolverPlusPlus2M, 10),
            (SamplingMethod.EulerAncestral, 20), (SamplingMethod.Heun, 20),
        ];
        Console.WriteLine($"Model {modelPath}: {model.Configuration}, T = {model.Scheduler.Timesteps}, {model.TrainedSteps} steps; {count} samples per row, seed 1; CPU {Core.Kernels.CpuKernels.Cpu}, {get_num_threads()} threads");
        Console.WriteLine($"{"method",-10} {"steps",5} {"FD",8} {"entropy",8} {"confidence",11} {"images/s",9} {"vs DDIM-50",11}");
        double? reference = null;
        foreach ((SamplingMethod method, int steps) in rows)
        {
            var sampler = new DdpmSampler(new DdpmSamplerOptions { Method = method, Steps = steps, Seed = 1, BatchSize = 100 });
            var clock = Stopwatch.StartNew();
            using Tensor images = sampler.Sample(model, count);
            double rate = count / clock.Elapsed.TotalSeconds;
            reference ??= rate;
            SampleQuality quality = evaluator.Evaluate(images);
            Console.WriteLine($"{sampler.MethodFor(model).Name,-10} {steps,5} {quality.FrechetDistance,8:F2} {quality.ClassEntropy,8:F3} {quality.MeanConfidence,11:P1} {rate,9:F2} {rate / reference.Value,10:F2}x");
        }

        return 0;
    }
}
