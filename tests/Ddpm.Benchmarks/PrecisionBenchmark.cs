using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Training;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>precision</c>: trains the default network on Fashion-MNIST (padded to 32x32) in float32 and in
/// bfloat16 mixed precision from the same seed and batches, and prints the median step speed of each,
/// their ratio, and the two smoothed loss curves side by side with their relative difference.
/// </summary>
internal static class PrecisionBenchmark
{
    public static int Run(string data, int steps, int batchSize, int every)
    {
        if (!File.Exists(data))
        {
            throw new ArgumentException($"--data '{data}' does not exist; pass a Fashion-MNIST images file (run from the repository root for the default).");
        }

        var dataset = new IdxImageDataset(data, padTo: 32);
        var runs = new Dictionary<TrainingPrecision, (List<TrainingProgress> Reports, double ImagesPerSecond)>();
        foreach (TrainingPrecision precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16 })
        {
            var reports = new List<TrainingProgress>();
            var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = steps, BatchSize = batchSize, Precision = precision, Seed = 0, LogInterval = 1_000_000 });
            using (DdpmModel model = trainer.Fit(dataset, new SynchronousProgress<TrainingProgress>(reports.Add)))
            {
            }

            // Median over the steps after the first tenth (warm-up), from the elapsed times reported per step.
            var seconds = Timing.StepSeconds(reports.Select(r => r.Elapsed).ToList(), steps / 10);
            runs[precision] = (reports, batchSize / Timing.Median(seconds));
            Console.WriteLine($"{precision}: {runs[precision].ImagesPerSecond:F1} images/s (median step), {reports[^1].Elapsed:mm\\:ss} in all");
        }

        var fp32 = runs[TrainingPrecision.Float32];
        var bf16 = runs[TrainingPrecision.BFloat16];
        Console.WriteLine();
        Console.WriteLine($"Default network ({dataset.Shape}), batch {batchSize}, {steps} steps, seed 0, {Environment.ProcessorCount} logical cores");
        Console.WriteLine($"bfloat16 / float32 speed: {bf16.ImagesPerSecond / fp32.ImagesPerSecond:F2}x");
        Console.WriteLine();
        Console.WriteLine("| Step | float32 smoothed loss | bfloat16 smoothed loss | difference |");
        Console.WriteLine("| ---: | ---: | ---: | ---: |");
        double largest = 0;
        for (int step = every; step <= steps; step += every)
        {
            double a = fp32.Reports[step - 1].SmoothedLoss;
            double b = bf16.Reports[step - 1].SmoothedLoss;
            double difference = (b - a) / a;
            if (step > steps / 2)
            {
                largest = Math.Max(largest, Math.Abs(difference));
            }

            Console.WriteLine($"| {step} | {a:F4} | {b:F4} | {100 * difference:+0.0;-0.0}% |");
        }

        Console.WriteLine();
        Console.WriteLine($"Largest difference in the second half of the run: {100 * largest:F1}%");
        return 0;
    }
}
