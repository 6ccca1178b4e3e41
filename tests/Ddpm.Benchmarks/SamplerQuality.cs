using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Imaging;
using Ddpm.Core.Sampling;
using Ddpm.Evaluation;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// Quality and speed of each sampling method on one trained Fashion-MNIST model (docs/sampling.md): the same seed
/// and count for every row, scored by the evaluator, with images/s and the speed ratio to DDIM-50 measured in the
/// same run. Rows can be chosen (<c>--rows ddim-50,euler-a-20,dpm++2m-20-karras</c>), so a long table can be measured in
/// parts; a part without DDIM-50 first times DDIM-50 on a few samples for the ratio.
/// </summary>
internal static class SamplerQuality
{
    public const string DefaultRows = "ddim-50,ddim-20,ddim-10,dpm++2m-20,dpm++2m-10,euler-a-20,heun-20";

    public static int Run(string modelPath, int count, string rowList, int seed, string? grids)
    {
        Row[] rows = rowList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Row.Parse).ToArray();
        using DdpmModel model = DdpmModel.Load(modelPath);
        using var evaluator = SampleQualityEvaluator.Load();
        Console.WriteLine($"Model {modelPath}: {model.Configuration}, T = {model.Scheduler.Timesteps}, {model.TrainedSteps} steps; {count} samples per row, seed {seed}; CPU {Core.Kernels.CpuKernels.Cpu}, {get_num_threads()} threads");
        double reference;
        if (rows[0] is { Method: SamplingMethod.Ddim, Steps: 50, Spacing: TimestepSpacing.Trailing })
        {
            reference = double.NaN;
        }
        else
        {
            int few = Math.Min(count, 500);
            var clock = Stopwatch.StartNew();
            using Tensor timed = Sampler(new Row(SamplingMethod.Ddim, 50, TimestepSpacing.Trailing), seed).Sample(model, few);
            reference = few / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"DDIM-50 reference speed, timed on {few} samples: {reference:F2} images/s");
        }

        Console.WriteLine($"{"method",-10} {"steps",5} {"spacing",-8} {"FD",8} {"entropy",8} {"confidence",11} {"images/s",9} {"vs DDIM-50",11}");
        foreach (Row row in rows)
        {
            DdpmSampler sampler = Sampler(row, seed);
            var clock = Stopwatch.StartNew();
            using Tensor images = sampler.Sample(model, count);
            double rate = count / clock.Elapsed.TotalSeconds;
            if (double.IsNaN(reference))
            {
                reference = rate;
            }

            SampleQuality quality = evaluator.Evaluate(images);
            Console.WriteLine($"{sampler.MethodFor(model).Name,-10} {row.Steps,5} {row.Spacing.ToString().ToLowerInvariant(),-8} {quality.FrechetDistance,8:F2} {quality.ClassEntropy,8:F3} {quality.MeanConfidence,11:P1} {rate,9:F2} {rate / reference,10:F2}x");
            if (grids is not null)
            {
                Directory.CreateDirectory(grids);
                using Tensor first = images[..Math.Min(count, 64)];
                ImageGrid.SavePng(first, Path.Combine(grids, $"{row}.png"), columns: 8);
            }
        }

        return 0;
    }

    private static DdpmSampler Sampler(Row row, int seed) =>
        new(new DdpmSamplerOptions { Method = row.Method, Steps = row.Steps, Spacing = row.Spacing, Seed = seed, BatchSize = 100 });

    /// <summary>One row of the table: a method, its step count and the spacing, written <c>euler-a-20</c> or <c>euler-a-20-karras</c>.</summary>
    private sealed record Row(SamplingMethod Method, int Steps, TimestepSpacing Spacing)
    {
        public static Row Parse(string text)
        {
            bool karras = text.EndsWith("-karras", StringComparison.Ordinal);
            string plain = karras ? text[..^"-karras".Length] : text;
            int dash = plain.LastIndexOf('-');
            if (dash < 1 || !SamplingMethods.ByName.TryGetValue(plain[..dash], out SamplingMethod method) || !int.TryParse(plain[(dash + 1)..], out int steps) || steps < 1)
            {
                throw new ArgumentException($"--rows has '{text}'; write METHOD-STEPS[-karras] with METHOD one of {string.Join(", ", SamplingMethods.ByName.Keys)}, for example euler-a-20 or heun-20-karras.");
            }

            return new Row(method, steps, karras ? TimestepSpacing.Karras : TimestepSpacing.Trailing);
        }

        public override string ToString() =>
            $"{SamplingMethods.Create(Method).Name}-{Steps}{(Spacing == TimestepSpacing.Karras ? "-karras" : string.Empty)}";
    }
}
