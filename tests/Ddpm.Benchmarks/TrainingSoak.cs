using System.Diagnostics;
using System.Globalization;
using Ddpm.Core;
using Ddpm.Core.Training;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary><c>soak</c>: trains the small model for many steps and watches live tensors and memory.</summary>
internal static class TrainingSoak
{
    public static int Run(int steps, int every)
    {
        Console.WriteLine($"soak: {steps} training steps of {BenchmarkSetup.Network()} on 512 synthetic 16x16 images, batch 16, T = 100; a report every {every} steps");
        Console.WriteLine($"{Environment.ProcessorCount} logical CPU(s), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");

        var dataset = BenchmarkSetup.Squares();
        var trainer = new DdpmTrainer(BenchmarkSetup.TrainerOptions(steps));
        using var probe = new MemoryProbe();
        var reports = new List<SoakReport>();
        var clock = Stopwatch.StartNew();
        long before = Tensor.TotalCount;
        Console.WriteLine($"Live tensors before Fit: {before}");
        Console.WriteLine();
        Console.WriteLine(SoakSummary.Header("step", $" {"smoothed loss",14} {"elapsed s",10}"));

        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Step % every != 0)
            {
                return;
            }

            var report = SoakReport.Take(p.Step, probe);
            reports.Add(report);
            Console.WriteLine(SoakSummary.Row(report, string.Create(CultureInfo.InvariantCulture, $" {p.SmoothedLoss,14:F4} {clock.Elapsed.TotalSeconds,10:F1}")));
        });

        int parameters;
        using (DdpmModel model = trainer.Fit(dataset, progress))
        {
            Console.WriteLine($"Fit returned after {clock.Elapsed.TotalSeconds:F1} s; live tensors with the model alive: {Tensor.TotalCount}");
            parameters = model.Network.parameters().Count() + (model.EmaNetwork?.parameters().Count() ?? 0);
        }

        Console.WriteLine($"Live tensors after the model was disposed: {Tensor.TotalCount} (before Fit: {before})");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Console.WriteLine($"Live tensors after a full GC: {Tensor.TotalCount}; the model's networks hold {parameters} parameters (TorchSharp 0.107 never uncounts the tensor each Parameter is made from)");
        return SoakSummary.Print(reports, "step", rssFrom: 1000);
    }
}
