using Ddpm.Core;
using Ddpm.Core.Data;
using Ddpm.Core.Diffusion;
using Ddpm.Core.Models;
using Ddpm.Core.Schedules;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Ddpm.Web.Tests;

/// <summary>The web sample in memory, serving an untrained Tiny UNet (1x8x8, T = 1000) saved to a temporary file.</summary>
public sealed class ServedModel : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ddpm-web-").FullName;

    public ServedModel()
    {
        string path = Path.Combine(_folder, "model.ddpm");
        manual_seed(1);
        UNetConfiguration configuration = UNetPresets.Tiny(1);
        using (var model = new DdpmModel(new UNet(configuration), new NoiseScheduler(KnownBetaSchedules.Linear, 1000), new ImageShape(1, 8, 8), configuration))
        {
            model.Save(path);
        }

        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("Model", path)
            .ConfigureLogging(logging => logging.AddProvider(Log)));
    }

    public WebApplicationFactory<Program> Factory { get; }

    public RecordingLoggerProvider Log { get; } = new();

    public void Dispose()
    {
        Factory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
