using System.Diagnostics;
using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Ddpm.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Benchmarks;

/// <summary>
/// <c>step-profile</c>: where the time of one training step of the default UNet goes on this CPU, and how close
/// the step comes to the machine's matrix-multiply peak.
/// <list type="number">
/// <item>The step's phases, as <c>TrainingRun.TrainStep</c> runs them (noising, forward, loss, backward, Adam,
/// gradient release, EMA, freeing the step's tensors), each timed on its own; medians over the timed steps.</item>
/// <item>The forward pass by module type, timed in place by pre- and post-forward hooks on every leaf module (and
/// on self-attention as one unit); the rest of the forward pass is the code between modules (SiLU, additions,
/// the timestep embedding's arithmetic, concatenations).</item>
/// <item>The backward pass by module type: each leaf call of the forward pass again on its own, with its recorded
/// input shape, forward then forward + backward (medians); the difference is its backward. The rest of the
/// measured backward pass is everything autograd does outside those modules.</item>
/// <item>Efficiency: the step's FLOPs (three forward passes, <see cref="FlopCounter"/>) over its median time,
/// against a 2048x2048 matrix multiply in float32 and in bfloat16 measured in the same run; and the trainer's
/// own whole steps in float32 and bfloat16 (<see cref="TrainingPrecision"/> forced) for the same figure.</item>
/// </list>
/// </summary>
internal static class StepProfile
{
    private const int MatrixSize = 2048;

    public static int Run(int batch, int steps, int warmup, int isolatedRepeats, int trainerSteps)
    {
        CpuKernelSelection kernels = CpuKernels.Ensure();
        manual_seed(0);
        UNetConfiguration configuration = UNetPresets.Small(1);
        var shape = new ImageShape(1, 32, 32);
        using var network = (nn.Module<Tensor, Tensor, Tensor>)configuration.CreateNetwork();
        using var ema = (nn.Module<Tensor, Tensor, Tensor>)configuration.CreateNetwork();
        long forwardFlopsPerImage = FlopCounter.ForwardFlopsPerImage(network, shape);
        double stepGflop = 3.0 * forwardFlopsPerImage * batch / 1e9;
        network.train();

        var scheduler = new NoiseScheduler(KnownBetaSchedules.Linear, 1000);
        var parameters = network.parameters().ToList();
        using var adam = new AdamOptimizer(parameters, OptimizerType.Adam, 1e-3, 0.9, 0.999, 1e-8, 0);
        var average = new ExponentialMovingAverage(network, ema, new EmaOptions());
        using var generator = new Generator(0);

        var leaves = LeafCalls.Attach(network);
        var phases = new Dictionary<string, List<double>>();
        var forwardByType = new Dictionary<string, List<double>>();
        for (int step = 1; step <= warmup + steps; step++)
        {
            bool timed = step > warmup;
            leaves.Reset(record: step == warmup + 1);
            var clock = Stopwatch.StartNew();
            double Lap()
            {
                double seconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                return seconds;
            }

            var laps = new List<(string Phase, double Seconds)>();
            using (var scope = NewDisposeScope())
            {
                Tensor x0 = (rand(new long[] { batch, 1, 32, 32 }, generator: generator) * 2) - 1;
                Tensor t = randint(0, scheduler.Timesteps, new long[] { batch }, dtype: ScalarType.Int64, generator: generator);
                Tensor noise = randn(x0.shape, generator: generator);
                Tensor xt = scheduler.AddNoiseCore(x0, noise, t);
                laps.Add(("noising x_0 (eq. 4) and drawing t, ε", Lap()));
                Tensor predicted = network.call(xt, t);
                laps.Add(("forward", Lap()));
                Tensor loss = nn.functional.mse_loss(predicted, noise);
                _ = loss.item<float>();
                laps.Add(("loss", Lap()));
                loss.backward();
                laps.Add(("backward", Lap()));
                adam.Step();
                laps.Add(("Adam", Lap()));
                Gradients.Release(parameters);
                laps.Add(("releasing gradients", Lap()));
                average.Update(step);
                laps.Add(("EMA update", Lap()));
            }

            laps.Add(("freeing the step's tensors", Lap()));
            if (timed)
            {
                foreach ((string phase, double seconds) in laps)
                {
                    Add(phases, phase, seconds);
                }

                foreach ((string type, double seconds) in leaves.SecondsByType())
                {
                    Add(forwardByType, type, seconds);
                }
            }
        }

        leaves.Detach();
        Dictionary<string, double> backwardByType = IsolatedBackward(leaves.Recorded, isolatedRepeats);
        Dictionary<string, long> flopsByType = leaves.FlopsByType();

        double stepSeconds = phases.Values.Sum(Timing.Median);
        double forward = Timing.Median(phases["forward"]);
        double backward = Timing.Median(phases["backward"]);
        Console.WriteLine($"Default UNet ({configuration}, {network.parameters().Sum(p => p.numel()):N0} parameters), batch {batch} of {shape}, float32; CPU {CpuKernels.Cpu}, {get_num_threads()} threads, kernels: {CpuKernels.Describe(kernels.Path)}");
        Console.WriteLine($"{steps} timed steps after {warmup} warm-up; backward by module from {isolatedRepeats} isolated repeats of each call");
        Console.WriteLine();
        Console.WriteLine("| Phase of the step | median ms | share |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach ((string phase, List<double> values) in phases)
        {
            double median = Timing.Median(values);
            Console.WriteLine($"| {phase} | {1000 * median:F1} | {median / stepSeconds:P1} |");
        }

        Console.WriteLine($"| **whole step** | **{1000 * stepSeconds:F1}** | 100% |");
        Console.WriteLine();
        Console.WriteLine("| Module type (calls per step) | forward ms (in place) | backward ms (isolated) | share of step | GFLOP forward | forward GFLOP/s |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        double forwardInModules = 0;
        double backwardInModules = 0;
        foreach (string type in forwardByType.Keys.OrderByDescending(k => Timing.Median(forwardByType[k]) + backwardByType.GetValueOrDefault(k)))
        {
            double f = Timing.Median(forwardByType[type]);
            double b = backwardByType.GetValueOrDefault(type);
            forwardInModules += f;
            backwardInModules += b;
            long flops = flopsByType.GetValueOrDefault(type);
            string gflop = flops == 0 ? "-" : $"{flops / 1e9:F2}";
            string rate = flops == 0 ? "-" : $"{flops / 1e9 / f:F1}";
            Console.WriteLine($"| {type} ({leaves.CallsOf(type)}) | {1000 * f:F1} | {1000 * b:F1} | {(f + b) / stepSeconds:P1} | {gflop} | {rate} |");
        }

        double forwardRest = Math.Max(0, forward - forwardInModules);
        double backwardRest = Math.Max(0, backward - backwardInModules);
        Console.WriteLine($"| between modules (SiLU, additions, embedding arithmetic, concatenation) | {1000 * forwardRest:F1} | {1000 * backwardRest:F1} | {(forwardRest + backwardRest) / stepSeconds:P1} | - | - |");
        Console.WriteLine();

        double fp32Peak = MatmulGflops(ScalarType.Float32);
        double bf16Peak = MatmulGflops(ScalarType.BFloat16);
        double replicaRate = stepGflop / stepSeconds;
        Console.WriteLine($"Step cost: {stepGflop:F2} GFLOP (3 x {forwardFlopsPerImage / 1e9:F3} GFLOP forward per image x {batch})");
        Console.WriteLine($"Matrix multiply {MatrixSize}x{MatrixSize}, same run: float32 {fp32Peak:F1} GFLOP/s, bfloat16 {bf16Peak:F1} GFLOP/s");
        Console.WriteLine();
        Console.WriteLine("| Step | median s | images/s | GFLOP/s | share of fp32 matmul peak | share of bf16 matmul peak |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        Console.WriteLine($"| this profile's float32 step | {stepSeconds:F3} | {batch / stepSeconds:F1} | {replicaRate:F1} | {replicaRate / fp32Peak:P0} | {replicaRate / bf16Peak:P0} |");
        foreach (TrainingPrecision precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16 })
        {
            double seconds = TrainerStep(precision, batch, trainerSteps);
            double rate = stepGflop / seconds;
            Console.WriteLine($"| DdpmTrainer, {precision} | {seconds:F3} | {batch / seconds:F1} | {rate:F1} | {rate / fp32Peak:P0} | {rate / bf16Peak:P0} |");
        }

        return 0;
    }

    private static void Add(Dictionary<string, List<double>> table, string key, double value)
    {
        if (!table.TryGetValue(key, out List<double>? values))
        {
            table[key] = values = [];
        }

        values.Add(value);
    }

    /// <summary>Each recorded leaf call on its own: median forward and median forward + backward; the difference, summed by type.</summary>
    private static Dictionary<string, double> IsolatedBackward(IReadOnlyList<LeafCall> calls, int repeats)
    {
        var byType = new Dictionary<string, double>();
        foreach (LeafCall call in calls.Where(c => c.FloatingInput))
        {
            var forward = new List<double>();
            var both = new List<double>();
            for (int i = 0; i < repeats + 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor input = randn(call.InputShape).requires_grad_(true);
                var clock = Stopwatch.StartNew();
                Tensor output = call.Module.call(input);
                double f = clock.Elapsed.TotalSeconds;
                Tensor gradient = randn_like(output);
                clock.Restart();
                Tensor again = call.Module.call(input);
                torch.autograd.backward([again], [gradient]);
                double fb = clock.Elapsed.TotalSeconds;
                foreach (Parameter p in call.Module.parameters())
                {
                    p.grad?.Dispose();
                    p.grad = null;
                }

                if (i > 0)
                {
                    forward.Add(f);
                    both.Add(fb);
                }
            }

            byType[call.Type] = byType.GetValueOrDefault(call.Type) + Math.Max(0, Timing.Median(both) - Timing.Median(forward));
        }

        return byType;
    }

    private static double MatmulGflops(ScalarType type)
    {
        using Tensor a = randn(MatrixSize, MatrixSize).to(type);
        using Tensor b = randn(MatrixSize, MatrixSize).to(type);
        var seconds = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            var clock = Stopwatch.StartNew();
            using (Tensor c = a.mm(b))
            {
                _ = c[0, 0].to(ScalarType.Float32).item<float>();
            }

            if (i > 1)
            {
                seconds.Add(clock.Elapsed.TotalSeconds);
            }
        }

        return 2.0 * MatrixSize * MatrixSize * MatrixSize / Timing.Median(seconds) / 1e9;
    }

    /// <summary>The median step of the library's own trainer at <paramref name="precision"/>, on random images.</summary>
    private static double TrainerStep(TrainingPrecision precision, int batch, int steps)
    {
        using Tensor images = (rand(4L * batch, 1, 32, 32) * 2) - 1;
        var reports = new List<TrainingProgress>();
        var trainer = new DdpmTrainer(new DdpmTrainerOptions { MaxSteps = steps, BatchSize = batch, Precision = precision, Seed = 0, LogInterval = 1_000_000 });
        using (trainer.Fit(new InMemoryImageDataset(images), new SynchronousProgress<TrainingProgress>(reports.Add)))
        {
        }

        return Timing.Median(Timing.StepSeconds(reports.Select(r => r.Elapsed).ToList(), Math.Max(1, steps / 4)));
    }

    /// <summary>One leaf module's call in the forward pass: the module, its type's label and its input shape.</summary>
    private sealed record LeafCall(nn.Module<Tensor, Tensor> Module, string Type, long[] InputShape, bool FloatingInput);

    /// <summary>Times every leaf module's forward calls in place with pre- and post-forward hooks.</summary>
    private sealed class LeafCalls
    {
        private readonly List<Action> _removers = [];
        private readonly Dictionary<nn.Module, string> _types = [];
        private readonly Dictionary<string, double> _seconds = [];
        private readonly Dictionary<string, int> _calls = [];
        private readonly Dictionary<string, long> _flops = [];
        private readonly Stack<long> _starts = new();
        private bool _record;

        public List<LeafCall> Recorded { get; } = [];

        public static LeafCalls Attach(nn.Module network)
        {
            var calls = new LeafCalls();
            var insideAttention = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
            foreach (nn.Module attention in network.modules().Where(m => m is SelfAttention))
            {
                foreach (nn.Module child in attention.modules().Where(m => !ReferenceEquals(m, attention)))
                {
                    insideAttention.Add(child);
                }
            }

            foreach (nn.Module module in network.modules())
            {
                bool leaf = module is SelfAttention || (!module.children().Any() && !insideAttention.Contains(module));
                if (leaf && module is nn.Module<Tensor, Tensor> hooked)
                {
                    calls.Hook(hooked);
                }
            }

            return calls;
        }

        public void Reset(bool record)
        {
            _seconds.Clear();
            _record = record;
            if (record)
            {
                _calls.Clear();
                _flops.Clear();
                Recorded.Clear();
            }
        }

        public IEnumerable<(string Type, double Seconds)> SecondsByType() => _seconds.Select(pair => (pair.Key, pair.Value));

        public int CallsOf(string type) => _calls.GetValueOrDefault(type);

        public Dictionary<string, long> FlopsByType() => new(_flops);

        public void Detach() => _removers.ForEach(remove => remove());

        private void Hook(nn.Module<Tensor, Tensor> module)
        {
            _removers.Add(module.register_forward_pre_hook((m, input) =>
            {
                _starts.Push(Stopwatch.GetTimestamp());
                return input;
            }).remove);
            _removers.Add(module.register_forward_hook((m, input, output) =>
            {
                double seconds = Stopwatch.GetElapsedTime(_starts.Pop()).TotalSeconds;
                string type = TypeOf(m, input);
                _seconds[type] = _seconds.GetValueOrDefault(type) + seconds;
                if (_record)
                {
                    _calls[type] = _calls.GetValueOrDefault(type) + 1;
                    _flops[type] = _flops.GetValueOrDefault(type) + Flops(m, input, output);
                    Recorded.Add(new LeafCall(m, type, input.shape, input.is_floating_point()));
                }

                return output;
            }).remove);
        }

        private string TypeOf(nn.Module module, Tensor input)
        {
            if (!_types.TryGetValue(module, out string? type))
            {
                type = module switch
                {
                    Conv2d conv => $"Conv2d {conv.kernel_size[0]}x{conv.kernel_size[1]}{(conv.stride[0] > 1 ? $" stride {conv.stride[0]}" : string.Empty)}",
                    SelfAttention => $"self-attention ({input.shape[2]}x{input.shape[3]} positions)",
                    _ => module.GetType().Name,
                };
                _types[module] = type;
            }

            return type;
        }

        /// <summary>Multiply-adds x 2 of the layers <see cref="FlopCounter"/> counts, for this call.</summary>
        private static long Flops(nn.Module module, Tensor input, Tensor output) => 2 * module switch
        {
            Conv2d c => output.numel() * (input.shape[1] / c.groups) * c.kernel_size[0] * c.kernel_size[1],
            ConvTranspose2d c => input.numel() * (output.shape[1] / c.groups) * c.kernel_size[0] * c.kernel_size[1],
            Linear => output.numel() * input.shape[^1],
            SelfAttention => 2 * input.shape[0] * input.shape[2] * input.shape[3] * input.shape[2] * input.shape[3] * input.shape[1],
            _ => 0L,
        };
    }
}
