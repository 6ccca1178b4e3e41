using System.CommandLine;
using System.Globalization;
using Ddpm.Cli.Input;
using Ddpm.Cli.Settings;
using Ddpm.Core;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Interop;
using Ddpm.Core.Kernels;
using Ddpm.Core.Sampling;
using Spectre.Console;
using static TorchSharp.torch;

namespace Ddpm.Cli.Commands;

/// <summary><c>ddpm export</c>: a model's network weights as a PyTorch state_dict or a safetensors file.</summary>
internal static class ExportCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "A model file (model.ddpm or checkpoint-*.ddpm) or the folder ddpm train wrote.", Required = true };
    private static readonly Option<string> Out = new("--out") { Description = "The file to write: .pt (or .pth, .bin) for torch.load, .safetensors for safetensors.", Required = true };
    private static readonly Option<string> Weights = new("--weights") { Description = "ema (the averaged weights, as sample uses; the network's if there are none) or network.", DefaultValueFactory = _ => "ema" };
    private static readonly Option<string?> CheckInputs = new("--check-inputs") { Description = "Also write two seeded inputs and the network's eval-mode output for them to this .safetensors file, for tests/reference/check_export.py." };

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("export", "Write a model's network weights as a state_dict that PyTorch's torch.load reads (.pt) or as safetensors.")
        {
            Model, Out, Weights, CheckInputs,
        };
        command.SetAction(parse => runner(parse, cli => Run(cli, parse)));
        return command;
    }

    private static int Run(CliContext cli, ParseResult parse)
    {
        string output = parse.GetValue(Out)!;
        if (!WeightFiles.IsSafeTensors(output) && !WeightFiles.IsPyTorch(output))
        {
            throw new UsageException($"--out '{output}' must end in .pt, .pth, .bin or .safetensors.");
        }

        ModelWeights weights = CliNames.Parse(CliNames.Weights, parse.GetValue(Weights)!, "--weights");
        using DdpmModel model = DdpmModel.Load(ModelLocator.Resolve(parse.GetValue(Model)!, "--model"));
        nn.Module<Tensor, Tensor, Tensor> network = weights == ModelWeights.Ema && model.EmaNetwork is not null ? model.EmaNetwork : model.Network;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["ddpm.network"] = model.Configuration?.ToString() ?? network.GetType().Name,
            ["ddpm.architecture"] = model.Configuration?.Architecture ?? "custom",
            ["ddpm.image_shape"] = model.ImageShape.ToString(),
            ["ddpm.timesteps"] = model.Scheduler.Timesteps.ToString(CultureInfo.InvariantCulture),
            ["ddpm.weights"] = CliNames.Name(CliNames.Weights, network == model.EmaNetwork ? ModelWeights.Ema : ModelWeights.Trained),
        };
        Dictionary<string, Tensor> weightsByName = network.state_dict();
        WeightFiles.Write(output, weightsByName, metadata);
        cli.Console.MarkupLine($"Wrote the {metadata["ddpm.weights"]} weights of {Markup.Escape(metadata["ddpm.network"])} ({weightsByName.Count} tensors) to {Markup.Escape(output)}.");
        if (model.Configuration is not null)
        {
            // The network, image shape and exact betas, for python/ddpm_core_torch and ddpm import --config.
            string description = ModelDescription.PathFor(output);
            model.Describe(metadata["ddpm.weights"]).Write(description);
            cli.Console.MarkupLine($"Wrote its description (network, image shape, betas) to {Markup.Escape(description)}.");
        }

        if (parse.GetValue(CheckInputs) is string check)
        {
            if (model.Device.type == TorchSharp.DeviceType.CPU)
            {
                CpuKernels.Ensure(cli.CpuKernels, logger: cli.Logging.CreateLogger("Ddpm.Core.Kernels"));
            }

            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var generator = new Generator(1234);
            Tensor x = randn([2, model.ImageShape.Channels, model.ImageShape.Height, model.ImageShape.Width], generator: generator);
            Tensor t = tensor(new long[] { 5, model.Scheduler.Timesteps - 1 });
            bool training = network.training;
            network.eval();
            Tensor y = network.call(x, t);
            network.train(training);
            SafeTensors.Write(check, [new("input.x", x), new("input.t", t), new("output.eval", y)]);
            cli.Console.MarkupLine($"Wrote check inputs and outputs to {Markup.Escape(check)}.");
        }

        return ExitCodes.Success;
    }
}
