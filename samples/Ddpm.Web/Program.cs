using Ddpm.Core;
using Ddpm.Core.DependencyInjection;
using Ddpm.Core.Imaging;
using Ddpm.Core.Sampling;
using Ddpm.Web;
using static TorchSharp.torch;

// Serves samples of one trained model (docs/serving.md):
//   dotnet run --project samples/Ddpm.Web -- --Model ddpm-output/model.ddpm --urls http://127.0.0.1:5080
// then open http://127.0.0.1:5080/, or GET /sample?seed=1&count=4&sampler=ddim for a PNG grid.
// Two glibc malloc arenas instead of up to 8 per core, as the ddpm command does: the notebook's network sampled
// over 300 steps levels off at about 1.0 GB instead of 1.6 GB (docs/serving.md). MALLOC_ARENA_MAX, when set, wins.
if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null)
{
    Ddpm.Cli.NativeAllocator.LimitArenas();
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
string model = builder.Configuration["Model"]
    ?? throw new InvalidOperationException("Name the model to serve: --Model PATH (a .ddpm file, or a training run's checkpoint folder), or \"Model\" in appsettings.json.");
builder.Services
    // One sampling call at a time by default (SamplingQueue); --SamplingQueue:MaxConcurrency N runs N at once.
    .AddSingleton(_ => new SamplingQueue(
        builder.Configuration.GetValue("SamplingQueue:MaxConcurrency", 1),
        builder.Configuration.GetValue("SamplingQueue:MaxQueued", 64)))
    .AddDdpm(builder.Configuration)
    .AddDdpmModel(model, builder.Configuration["Device"] ?? "cpu");

WebApplication app = builder.Build();

// Loaded now, so a wrong path stops the host at start instead of failing the first request.
app.Services.GetRequiredService<DdpmModel>();

app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8"));
app.MapGet("/sample", async (HttpContext http, DdpmModel served, DdpmSampler sampler, SamplingQueue queue) =>
{
    string? Query(string key) => http.Request.Query.TryGetValue(key, out var value) ? value.ToString() : null;
    (SampleRequest? request, string? error) = SampleRequest.Parse(Query("seed"), Query("count"), Query("sampler"));
    if (request is null)
    {
        return Results.BadRequest(new { error });
    }

    DdpmSampler chosen = sampler.With(options =>
    {
        options.Seed = request.Seed;
        options.Method = request.Method ?? options.Method;
    });
    try
    {
        // A client that goes away cancels its request: the wait, or the work after the current step.
        using Tensor images = await queue.SampleAsync(chosen, served, request.Count, http.RequestAborted);
        return Results.File(ImageGrid.ToPng(images), "image/png");
    }
    catch (SamplingQueueFullException e)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
});

app.Run();

/// <summary>The host's entry point; public so that the integration tests can start it (WebApplicationFactory).</summary>
public partial class Program;
