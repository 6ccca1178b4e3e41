using System.Globalization;

namespace Ddpm.Benchmarks;

/// <summary>The <c>--name value</c> options after the subcommand.</summary>
internal sealed class Arguments
{
    public const string Usage = """
        Usage: ddpm-benchmarks <command> [options]

          soak           [--steps 5000] [--every 500]   train a small model; live tensors and RSS every N steps
          soak-sampling  [--images 2000]                sample in batches of 100; live tensors and RSS per batch
          gc-stress      [--what train|ops] [--runs 5] [--steps 30] [--image-size 64] [--batch-size 8] [--seconds 60]
                                                        beside a thread that collects garbage and runs finalizers without pause and a
                                                        busy thread: N seeded Tiny-UNet training runs on 64x64 RGB, each sampling 4
                                                        images (losses and images must agree; exit 1 otherwise), or TorchSharp's own
                                                        operators for S seconds
          fault          [--kills 20] [--steps 3000] [--interval 10] [--dir DIR]
                                                        kill -9 a training child repeatedly; every resume must succeed
          presets        [--measure true] [--batch 64] [--steps 10] [--preset NAME] [--base-channels N]
                                                        parameters and GFLOP of each UNet preset; with --measure, median CPU
                                                        training img/s and sampling img-steps/s for 1x32x32 images
          schedule-plot  [--out docs/images/schedules.png] [--timesteps 300]
                                                        draw alpha-bar against t for each known beta schedule
          prediction-plot --model FILE [--data T10K-IDX] [--out docs/images/prediction.png] [--index 0]
                                                        x_t at several t and a trained network's one-step estimate of x_0
          vs-pytorch     [--mode train|sample|both] [--rounds 3] [--batch-size 16] [--image-size 64] [--channels 3]
                         [--steps 5] [--warmup 2] [--threads all] [--timesteps 300] [--device cpu]
                         [--python /usr/bin/python3] [--script tests/reference/notebook_speed.py]
                         [--batch-sizes 4,8,16,32] [--plot docs/images/vs-pytorch] [--arenas 0]
                         [--network simple-unet|unet] [--precision fp32|bf16 (training only)]
                                                        the notebook's step under PyTorch, as a bare TorchSharp loop and through
                                                        Ddpm.Core, in turn, each in its own process; medians, ratios, FLOP/s;
                                                        with several batch sizes, a table and (--plot) PREFIX-MODE-*.png charts;
                                                        --arenas N limits glibc's malloc arenas in every contender (0: default)
          data-pipeline  [--images 1024] [--source-size 96] [--image-size 64] [--batch-size 32] [--steps 10] [--rounds 3]
                                                        training images/s from a folder of JPEGs against the same images in memory
          precision      [--data T10K-IDX] [--steps 600] [--batch-size 64] [--every 100]
                                                        the default network on Fashion-MNIST in float32, then bfloat16: speed ratio, loss curves
          step-profile   [--batch-size 64] [--steps 10] [--warmup 3] [--repeats 5] [--trainer-steps 12]
                                                        one default-UNet training step by phase and by module type (forward in place,
                                                        backward isolated), its GFLOP/s against fp32 and bf16 matmul peaks, and the
                                                        trainer's own fp32 and bf16 steps
          sampler-quality --model FILE [--count 1000] [--seed 1] [--rows ddim-50,...,heun-20] [--grids DIR]
                                                        FD, class entropy, confidence and images/s of DDIM-50/20/10, DPM-Solver++(2M) 20/10,
                                                        Euler ancestral 20 and Heun 20 (or the rows named: METHOD-STEPS[-karras]) on one
                                                        model, with the speed ratio to DDIM-50; --grids writes 64 samples of each row
          clamp-quality  --model FILE [--count 1000] [--method ddim|ddpm] [--steps 50]
                                                        FD, class entropy and confidence with ClampEachStep off and on (and a second seed)
          bf16-agreement [--device cpu] [--model FILE] [--batch-size 16] [--image-size 32] [--channels 3] [--tolerance 0.05]
                                                        the network's output in float32 against the trainer's bfloat16 copy, per timestep;
                                                        exit 1 where the relative L2 error exceeds the tolerance (the CUDA check of docs/gpu.md)
          fuzz           [--cases 3000] [--seed 1]      corrupt image, IDX and checkpoint files at random; only documented exceptions may come out
          kernel-paths   [--rounds 3] [--batch-size 32] [--steps 10] [--image-size 32] [--threads all]
                                                        default-UNet training img/s on each CPU kernel path (docs/troubleshooting.md),
                                                        each in its own process; medians and the ratio to unchecked full-ISA oneDNN
          kernel-path-child --path NAME [same options]  one such measurement, printed as JSON (kernel-paths runs it)
          speed-child    --kind library|bare|matmul [--mode train|sample] [same size options]
                                                        one such measurement, printed as JSON (vs-pytorch runs it)
          train-classifier [--data /usr/share/datasets/fashion-mnist] [--out src/Ddpm.Evaluation/fashion-mnist-classifier.safetensors] [--epochs 4]
                                                        train the classifier SampleQualityEvaluator ships (apt-get install dataset-fashion-mnist)

        Exit code: 0 when the verdict is FLAT / ALL RESUMES SUCCEEDED / ONLY DOCUMENTED EXCEPTIONS, 1 otherwise, 2 for bad arguments.
        """;

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(IEnumerable<string> args)
    {
        var parsed = new Arguments();
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new ArgumentException($"Expected an option such as --steps, not '{name}'.");
            }

            if (!e.MoveNext())
            {
                throw new ArgumentException($"The option {name} needs a value.");
            }

            parsed._values[name[2..]] = e.Current;
        }

        return parsed;
    }

    public int Int(string name, int fallback, int minimum)
    {
        if (!_values.Remove(name, out string? text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
        {
            throw new ArgumentException($"--{name} must be an integer of at least {minimum}, not '{text}'.");
        }

        return value;
    }

    public string? String(string name) => _values.Remove(name, out string? text) ? text : null;

    /// <summary>Rejects options that no command asked for (typos such as --step).</summary>
    public void EnsureAllUsed()
    {
        if (_values.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s) for this command: {string.Join(", ", _values.Keys.Select(k => "--" + k))}.");
        }
    }
}
