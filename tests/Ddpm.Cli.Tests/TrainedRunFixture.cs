namespace Ddpm.Cli.Tests;

/// <summary>One small <c>ddpm train</c> run on the bundled data, shared by the tests that need its outputs.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public TrainedRunFixture()
    {
        Run = CliRun.Of(
            "train", "--unet", "tiny", "--steps", "4", "--batch-size", "4", "--image-size", "16", "--timesteps", "20",
            "--samples", "2", "--sampling-steps", "2", "--checkpoint-interval", "2", "--out", Output);
    }

    public string Output => _folder.File("run");

    internal CliRun Run { get; }

    public void Dispose() => _folder.Dispose();
}
