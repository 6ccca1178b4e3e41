using Ddpm.Core;
using Ddpm.Core.Interop;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Cli.Tests;

public sealed class InteropCommandTests : IDisposable
{
    private static readonly string Notebook = Path.Combine(AppContext.BaseDirectory, "fixtures", "simple_unet_small.pt");
    // Measured 468.0 (class entropy 1.50) for these 200 samples on the Zen 5 VM; uniform noise scores about 703.
    private const double DdpFrechetCeiling = 560;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Weights_from_the_PyTorch_twin_import_with_the_description_beside_them_and_export_writes_one_back()
    {
        // twin_roundtrip_tiny.safetensors and .config.json: written by python/ddpm_core_torch (tests/reference/network_parity_reference.py).
        string twin = Path.Combine(AppContext.BaseDirectory, "fixtures", "twin_roundtrip_tiny.safetensors");

        CliRun import = CliRun.Of("import", "--safetensors", twin, "--out", _folder.File("twin.ddpm"));
        CliRun export = CliRun.Of("export", "--model", _folder.File("twin.ddpm"), "--out", _folder.File("again.safetensors"));

        import.ExitCode.Should().Be(0, import.ToString());
        import.Output.Should().Contain("Using the description beside the weights").And.Contain("every tensor matched");
        using (DdpmModel model = DdpmModel.Load(_folder.File("twin.ddpm")))
        {
            model.Configuration.Should().BeOfType<Ddpm.Core.Models.UNetConfiguration>();
            model.Scheduler.Timesteps.Should().Be(50);
        }

        export.ExitCode.Should().Be(0, export.ToString());
        File.ReadAllText(_folder.File("again.config.json")).Should().Contain("\"format\": \"ddpm-core-model/1\"");
        Ddpm.Core.Checkpoints.ModelDescription.Read(_folder.File("again.config.json")).Network.Should().BeEquivalentTo(
            Ddpm.Core.Checkpoints.ModelDescription.Read(Path.ChangeExtension(twin, null) + ".config.json").Network);
    }

    [Fact]
    public void A_model_trained_by_torchrun_on_two_processes_imports_and_samples_garments()
    {
        // ddp_tiny.safetensors and .config.json: python/scale_out_check.sh's torchrun run (2 gloo ranks, Tiny UNet,
        // the bundled Fashion-MNIST subset; tests/reference/README.md has the command).
        string ddp = Path.Combine(AppContext.BaseDirectory, "fixtures", "ddp_tiny.safetensors");

        CliRun import = CliRun.Of("import", "--safetensors", ddp, "--out", _folder.File("ddp.ddpm"));
        CliRun sample = CliRun.Of("sample", "--model", _folder.File("ddp.ddpm"), "--count", "200", "--seed", "1", "--sampler", "dpm++2m", "--steps", "20",
            "--out", _folder.File("grid.png"), "--individual", _folder.File("samples"));

        import.ExitCode.Should().Be(0, import.ToString());
        import.Output.Should().Contain("every tensor matched");
        sample.ExitCode.Should().Be(0, sample.ToString());
        Directory.GetFiles(_folder.File("samples"), "*.png").Should().HaveCount(200);
        CliRun eval = CliRun.Of("eval", _folder.File("samples"), "--json");
        eval.ExitCode.Should().Be(0, eval.ToString());
        using var quality = System.Text.Json.JsonDocument.Parse(eval.Output);
        double frechet = quality.RootElement.GetProperty("frechetDistance").GetDouble();
        double entropy = quality.RootElement.GetProperty("classEntropy").GetDouble();
        frechet.Should().BeLessThan(DdpFrechetCeiling, "the imported weights draw garment-like images in .NET");
        entropy.Should().BeGreaterThan(1.0, "more than one or two kinds of garment");
    }

    [Fact]
    public void Import_refuses_a_description_and_a_like_model_together_and_a_missing_description()
    {
        string twin = Path.Combine(AppContext.BaseDirectory, "fixtures", "twin_roundtrip_tiny.safetensors");

        CliRun both = CliRun.Of("import", "--safetensors", twin, "--config", "x.json", "--like", "y.ddpm", "--out", _folder.File("a.ddpm"));
        CliRun missing = CliRun.Of("import", "--safetensors", twin, "--config", "/no/such.config.json", "--out", _folder.File("b.ddpm"));

        both.ExitCode.Should().Be(2, both.ToString());
        both.Error.Should().Contain("Give --config or --like, not both");
        missing.ExitCode.Should().Be(2, missing.ToString());
        missing.Error.Should().Contain("--config '/no/such.config.json' does not exist");
    }

    [Fact]
    public void Import_then_export_carries_the_notebooks_weights_through_unchanged()
    {
        CliRun import = CliRun.Of("import", "--pytorch", Notebook, "--image-size", "32", "--out", _folder.File("m.ddpm"));
        CliRun export = CliRun.Of("export", "--model", _folder.File("m.ddpm"), "--out", _folder.File("back.pt"), "--check-inputs", _folder.File("check.safetensors"));
        CliRun exportSafe = CliRun.Of("export", "--model", _folder.File("m.ddpm"), "--out", _folder.File("back.safetensors"));
        CliRun reimport = CliRun.Of("import", "--safetensors", _folder.File("back.safetensors"), "--like", _folder.File("m.ddpm"), "--out", _folder.File("again.ddpm"));

        import.ExitCode.Should().Be(0, import.ToString());
        import.Output.Should().Contain("SimpleUNet(channels 3, widths [8, 16, 32, 64, 128]").And.Contain("3x32x32, T = 300").And.Contain("150 tensor(s) loaded");
        export.ExitCode.Should().Be(0, export.ToString());
        exportSafe.ExitCode.Should().Be(0, exportSafe.ToString());
        reimport.ExitCode.Should().Be(0, reimport.ToString());

        using var scope = NewDisposeScope();
        using StateDict original = PyTorchStateDict.Read(Notebook);
        using StateDict pt = PyTorchStateDict.Read(_folder.File("back.pt"));
        using StateDict safe = SafeTensors.Read(_folder.File("back.safetensors"), out var metadata);
        using DdpmModel again = DdpmModel.Load(_folder.File("again.ddpm"));
        Dictionary<string, Tensor> reloaded = again.Network.state_dict();
        foreach ((string name, Tensor tensor) in original)
        {
            pt[name].equal(tensor).all().item<bool>().Should().BeTrue(name);
            safe[name].equal(tensor).all().item<bool>().Should().BeTrue(name);
            reloaded[name].equal(tensor).all().item<bool>().Should().BeTrue(name);
        }

        metadata.Should().Contain("ddpm.architecture", "simple-unet").And.Contain("ddpm.timesteps", "300");
        SafeTensors.Read(_folder.File("check.safetensors")).Keys.Should().Equal("input.x", "input.t", "output.eval");
    }

    [Theory]
    [InlineData("import --pytorch {missing} --out {out}", "*--pytorch '*missing.pt' does not exist*")]
    [InlineData("import --out {out}", "*--pytorch FILE.pt or --safetensors FILE, one of the two*")]
    [InlineData("import --pytorch {notebook} --safetensors {text} --out {out}", "*one of the two*")]
    [InlineData("import --safetensors {text} --out {out}", "*--safetensors:*not a readable safetensors file*")]
    [InlineData("import --pytorch {fakept} --out {out}", "*--pytorch:*not a zip archive*")]
    [InlineData("import --pytorch {notebook} --image-size 30 --out {out}", "*--image-size 30 does not fit*")]
    [InlineData("import --pytorch {notebook} --schedule exponential --out {out}", "*--schedule is 'exponential'*")]
    [InlineData("export --model {missing} --out {folder}/w.pt", "*does not exist*")]
    [InlineData("export --model {notebook} --out {folder}/w.onnx", "*must end in .pt, .pth, .bin or .safetensors*")]
    public void Bad_input_exits_2_naming_it(string line, string message)
    {
        File.WriteAllText(_folder.File("weights.txt"), "not weights");
        File.WriteAllText(_folder.File("fake.pt"), "not a zip");
        string[] args = line
            .Replace("{missing}", _folder.File("missing.pt"), StringComparison.Ordinal)
            .Replace("{text}", _folder.File("weights.txt"), StringComparison.Ordinal)
            .Replace("{fakept}", _folder.File("fake.pt"), StringComparison.Ordinal)
            .Replace("{notebook}", Notebook, StringComparison.Ordinal)
            .Replace("{out}", _folder.File("out.ddpm"), StringComparison.Ordinal)
            .Replace("{folder}", _folder.Path, StringComparison.Ordinal)
            .Split(' ');

        CliRun run = CliRun.Of(args);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Match(message);
        File.Exists(_folder.File("out.ddpm")).Should().BeFalse();
    }
}
