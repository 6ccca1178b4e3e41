using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>data-pipeline</c>: training throughput from a folder of JPEGs against the same images as an
/// in-memory tensor, in turn (folder, memory, folder, ...), with the time to decode the folder.
/// The folder dataset decodes, resizes and caches every image once, in parallel, when it is opened;
/// the trainer's background thread then prepares each batch (flips included) while the step runs.
/// </summary>
internal static class DataPipelineBenchmark
{
    public static int Run(int images, int sourceSize, int imageSize, int batchSize, int steps, int rounds)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"ddpm-data-pipeline-{Environment.ProcessId}");
        try
        {
            WriteJpegs(folder, images, sourceSize);
            var options = new ImageFolderDatasetOptions { ImageSize = imageSize };
            var loads = new List<double>();
            ImageFolderDataset? fromFolder = null;
            for (int i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                fromFolder = new ImageFolderDataset(folder, options);
                loads.Add(clock.Elapsed.TotalSeconds);
            }

            using Tensor pixels = ToTensor(fromFolder!);
            var inMemory = new InMemoryImageDataset(pixels);
            var rates = new Dictionary<string, List<double>> { ["folder"] = [], ["memory"] = [] };
            var waits = new Dictionary<string, List<double>> { ["folder"] = [], ["memory"] = [] };
            for (int round = 1; round <= rounds; round++)
            {
                foreach ((string name, IImageDataset dataset) in new (string, IImageDataset)[] { ("folder", fromFolder!), ("memory", inMemory) })
                {
                    (double rate, double wait) = TrainingRate(dataset, batchSize, steps);
                    rates[name].Add(rate);
                    waits[name].Add(wait);
                    Console.WriteLine($"  round {round} {name,-6} {rate,8:F2} images/s, waited for data {100 * wait,5:F2}% of the run");
                }
            }

            double folderRate = Timing.Median(rates["folder"]);
            double memoryRate = Timing.Median(rates["memory"]);
            Console.WriteLine();
            Console.WriteLine($"{images} JPEGs of {sourceSize}x{sourceSize} resized to {imageSize}x{imageSize} RGB; default UNet, batch {batchSize}, {steps} timed steps after 3 warm-up, {rounds} rounds, {Environment.ProcessorCount} logical cores");
            Console.WriteLine();
            Console.WriteLine("| Source | training images/s (median) | min - max | time waiting for data (median, % of the run) |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            Console.WriteLine($"| folder of JPEGs | {folderRate:F2} | {rates["folder"].Min():F2} - {rates["folder"].Max():F2} | {100 * Timing.Median(waits["folder"]):F2}% |");
            Console.WriteLine($"| in-memory tensor | {memoryRate:F2} | {rates["memory"].Min():F2} - {rates["memory"].Max():F2} | {100 * Timing.Median(waits["memory"]):F2}% |");
            Console.WriteLine();
            Console.WriteLine($"Folder / memory: {folderRate / memoryRate:F3}x ({100 * ((folderRate / memoryRate) - 1):+0.0;-0.0}%); opening the folder (decode + resize of {images} images, median of 3): {Timing.Median(loads):F2} s");
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>
    /// Median images/s of <paramref name="steps"/> training steps after 3 warm-up steps, and the share of
    /// the timed steps the training loop spent waiting for its batches (<see cref="TrainingProgress.DataWait"/>).
    /// </summary>
    private static (double ImagesPerSecond, double WaitShare) TrainingRate(IImageDataset dataset, int batchSize, int steps)
    {
        const int Warmup = 3;
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = Warmup + steps, BatchSize = batchSize, Seed = 0, LogInterval = 1_000_000 });
        var reports = new List<TrainingProgress>();
        using DdpmModel model = trainer.Fit(dataset, new SynchronousProgress<TrainingProgress>(reports.Add));
        var elapsed = reports.Select(r => r.Elapsed).Prepend(TimeSpan.Zero).ToList();
        TrainingProgress first = reports[Warmup - 1], last = reports[^1];
        double waitShare = (last.DataWait - first.DataWait) / (last.Elapsed - first.Elapsed);
        return (batchSize / Timing.Median(Timing.StepSeconds(elapsed, Warmup)), waitShare);
    }

    /// <summary>Photo-like test images: a smooth colour gradient with a few bright discs, JPEG quality 90.</summary>
    private static void WriteJpegs(string folder, int count, int size)
    {
        Directory.CreateDirectory(folder);
        Parallel.For(0, count, i =>
        {
            var random = new Random(i);
            using var image = new Image<Rgb24>(size, size);
            (int X, int Y, int R)[] discs = Enumerable.Range(0, 3).Select(_ => (random.Next(size), random.Next(size), random.Next(4, size / 4))).ToArray();
            byte red = (byte)random.Next(256);
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    bool lit = discs.Any(d => ((x - d.X) * (x - d.X)) + ((y - d.Y) * (y - d.Y)) < d.R * d.R);
                    image[x, y] = lit ? new Rgb24(250, 250, 240) : new Rgb24(red, (byte)(255 * x / size), (byte)(255 * y / size));
                }
            }

            image.SaveAsJpeg(Path.Combine(folder, $"{i:D5}.jpg"));
        });
    }

    private static Tensor ToTensor(IImageDataset dataset)
    {
        int size = dataset.Shape.ElementCount;
        var values = new float[dataset.Count * size];
        for (int i = 0; i < dataset.Count; i++)
        {
            dataset.CopyImage(i, values.AsSpan(i * size, size));
        }

        return tensor(values, [dataset.Count, dataset.Shape.Channels, dataset.Shape.Height, dataset.Shape.Width]);
    }
}
