using System.Globalization;
using Ddpm.Benchmarks;

// Benchmarks for Ddpm.Core: memory soaks and a kill -9 fault benchmark (docs/reliability.md), preset sizes and CPU throughput (docs/models.md).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Arguments.Usage);
    return args.Length == 0 ? 2 : 0;
}

Func<int> command;
try
{
    var options = Arguments.Parse(args.Skip(1));
    switch (args[0])
    {
        case "soak":
            {
                int steps = options.Int("steps", 5000, 1);
                int every = options.Int("every", 500, 1);
                command = () => TrainingSoak.Run(steps, every);
                break;
            }

        case "train-classifier":
            {
                string data = options.String("data") ?? "/usr/share/datasets/fashion-mnist";
                string output = options.String("out") ?? "src/Ddpm.Evaluation/fashion-mnist-classifier.safetensors";
                int epochs = options.Int("epochs", 4, 1);
                command = () => ClassifierTraining.Run(data, output, epochs);
                break;
            }

        case "gc-stress":
            {
                string what = options.String("what") ?? "train";
                int runs = options.Int("runs", 5, 1);
                int steps = options.Int("steps", 30, 1);
                int imageSize = options.Int("image-size", 64, 8);
                int batchSize = options.Int("batch-size", 8, 1);
                int seconds = options.Int("seconds", 60, 1);
                command = () => GcStress.Run(what, runs, steps, imageSize, batchSize, seconds);
                break;
            }

        case "soak-sampling":
            {
                int images = options.Int("images", 2000, 1);
                command = () => SamplingSoak.Run(images);
                break;
            }

        case "presets":
            {
                bool measure = options.String("measure") is "true" or "yes";
                int batch = options.Int("batch", 64, 1);
                int steps = options.Int("steps", 10, 1);
                string? only = options.String("preset");
                int baseOverride = options.Int("base-channels", 0, 0);
                int? baseChannels = baseOverride == 0 ? null : baseOverride;
                command = () => PresetBenchmark.Run(measure, batch, steps, only, baseChannels);
                break;
            }

        case "schedule-plot":
            {
                string output = options.String("out") ?? "docs/images/schedules.png";
                int timesteps = options.Int("timesteps", 300, 2);
                command = () => SchedulePlot.Run(output, timesteps);
                break;
            }

        case "prediction-plot":
            {
                string model = options.String("model") ?? throw new ArgumentException("prediction-plot needs --model FILE (a trained 1-channel model, e.g. ddpm-output/model.ddpm).");
                string data = options.String("data") ?? "tests/Ddpm.Core.Tests/Data/fashion-mnist/t10k-images-idx3-ubyte.gz";
                string output = options.String("out") ?? "docs/images/prediction.png";
                int index = options.Int("index", 0, 0);
                command = () => PredictionPlot.Run(model, data, output, index);
                break;
            }

        case "fault":
            {
                int kills = options.Int("kills", 20, 0);

                // 3000 steps outlast 20 kills at 1-6 s apart, so every kill lands mid-run.
                int steps = options.Int("steps", 3000, 1);
                int interval = options.Int("interval", 10, 1);
                string? directory = options.String("dir");
                command = () => FaultBenchmark.RunParent(kills, steps, interval, directory);
                break;
            }

        case "vs-pytorch":
            {
                int rounds = options.Int("rounds", 3, 1);
                string mode = options.String("mode") ?? "train";
                string[] modes = mode switch
                {
                    "train" or "sample" => [mode],
                    "both" => ["train", "sample"],
                    _ => throw new ArgumentException($"--mode is '{mode}'; use train, sample or both."),
                };
                string python = options.String("python") ?? "/usr/bin/python3";
                string script = options.String("script") ?? "tests/reference/notebook_speed.py";
                SpeedSettings settings = SpeedSettings.From(options);
                string? sizes = options.String("batch-sizes");
                int[] batchSizes = sizes is null ? [settings.BatchSize] : BatchSizes(sizes);
                string? plot = options.String("plot");
                command = () => VsPyTorch.Run(settings, rounds, modes, batchSizes, python, script, plot);
                break;
            }

        case "bf16-agreement":
            {
                string device = options.String("device") ?? "cpu";
                string? model = options.String("model");
                int batch = options.Int("batch-size", 16, 1);
                int size = options.Int("image-size", 32, 8);
                int channels = options.Int("channels", 3, 1);
                double tolerance = double.Parse(options.String("tolerance") ?? "0.05", System.Globalization.CultureInfo.InvariantCulture);
                command = () => PrecisionAgreement.Run(device, model, batch, size, channels, tolerance);
                break;
            }

        case "fuzz":
            {
                int cases = options.Int("cases", 3000, 1);
                int seed = options.Int("seed", 1, 0);
                command = () => FuzzBenchmark.Run(cases, seed);
                break;
            }

        case "data-pipeline":
            {
                int images = options.Int("images", 1024, 1);
                int sourceSize = options.Int("source-size", 96, 8);
                int imageSize = options.Int("image-size", 64, 8);
                int batchSize = options.Int("batch-size", 32, 1);
                int steps = options.Int("steps", 10, 1);
                int rounds = options.Int("rounds", 3, 1);
                command = () => DataPipelineBenchmark.Run(images, sourceSize, imageSize, batchSize, steps, rounds);
                break;
            }

        case "precision":
            {
                string data = options.String("data") ?? "tests/Ddpm.Core.Tests/Data/fashion-mnist/t10k-images-idx3-ubyte.gz";
                int steps = options.Int("steps", 600, 20);
                int batchSize = options.Int("batch-size", 64, 1);
                int every = options.Int("every", 100, 1);
                command = () => PrecisionBenchmark.Run(data, steps, batchSize, every);
                break;
            }

        case "step-profile":
            {
                int batch = options.Int("batch-size", 64, 1);
                int steps = options.Int("steps", 10, 1);
                int warmup = options.Int("warmup", 3, 1);
                int repeats = options.Int("repeats", 5, 1);
                int trainerSteps = options.Int("trainer-steps", 12, 4);
                command = () => StepProfile.Run(batch, steps, warmup, repeats, trainerSteps);
                break;
            }

                case "sampler-quality":
            {
                string model = options.String("model") ?? throw new ArgumentException("sampler-quality needs --model FILE (a trained 1-channel Fashion-MNIST model, e.g. ddpm-output/model.ddpm).");
                int count = options.Int("count", 1000, 2);
                string rows = options.String("rows") ?? SamplerQuality.DefaultRows;
                int seed = options.Int("seed", 1, 0);
                string? grids = options.String("grids");
                command = () => SamplerQuality.Run(model, count, rows, seed, grids);
                break;
            }

        case "clamp-quality":
            {
                string model = options.String("model") ?? throw new ArgumentException("clamp-quality needs --model FILE (a trained 1-channel Fashion-MNIST model, e.g. ddpm-output/model.ddpm).");
                int count = options.Int("count", 1000, 2);
                string method = options.String("method") ?? "ddim";
                int steps = options.Int("steps", 50, 1);
                command = () => ClampQuality.Run(model, count, method, steps);
                break;
            }

        case "kernel-paths":
            {
                int rounds = options.Int("rounds", 3, 1);
                int batch = options.Int("batch-size", 32, 1);
                int steps = options.Int("steps", 10, 1);
                int imageSize = options.Int("image-size", 32, 8);
                int threads = options.Int("threads", Environment.ProcessorCount, 1);
                command = () => KernelPathBenchmark.Run(rounds, batch, steps, imageSize, threads);
                break;
            }

        case "kernel-path-child":
            {
                string path = options.String("path") ?? throw new ArgumentException("kernel-path-child needs --path.");
                int batch = options.Int("batch", 32, 1);
                int steps = options.Int("steps", 10, 1);
                int imageSize = options.Int("image-size", 32, 8);
                int threads = options.Int("threads", Environment.ProcessorCount, 1);
                command = () => KernelPathBenchmark.RunChild(path, batch, steps, imageSize, threads);
                break;
            }

        case "speed-child":
            {
                string kindName = options.String("kind") ?? "library";
                SpeedKind kind = kindName switch
                {
                    "library" => SpeedKind.Library,
                    "bare" => SpeedKind.Bare,
                    "matmul" => SpeedKind.Matmul,
                    _ => throw new ArgumentException($"--kind is '{kindName}'; use library, bare or matmul."),
                };
                string mode = options.String("mode") ?? "train";
                if (mode is not ("train" or "sample"))
                {
                    throw new ArgumentException($"--mode is '{mode}'; use train or sample.");
                }

                SpeedSettings settings = SpeedSettings.From(options);
                command = () => SpeedChild.Run(kind, mode == "train", settings);
                break;
            }

        case "fault-child":
            {
                string directory = options.String("dir") ?? throw new ArgumentException("fault-child needs --dir DIR.");
                int steps = options.Int("steps", 400, 1);
                int interval = options.Int("interval", 10, 1);
                command = () => FaultBenchmark.RunChild(directory, steps, interval);
                break;
            }

        default:
            throw new ArgumentException($"Unknown command '{args[0]}'.");
    }

    options.EnsureAllUsed();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Arguments.Usage);
    return 2;
}

return command();

static int[] BatchSizes(string text)
{
    string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    var sizes = new List<int>();
    foreach (string part in parts)
    {
        if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size) || size < 1)
        {
            throw new ArgumentException($"--batch-sizes has '{part}'; give positive whole numbers separated by commas, such as 4,8,16,32.");
        }

        sizes.Add(size);
    }

    return sizes.Count > 0 ? sizes.ToArray() : throw new ArgumentException("--batch-sizes is empty; give sizes such as 4,8,16,32.");
}
