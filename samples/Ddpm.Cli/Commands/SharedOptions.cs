using System.CommandLine;

namespace Ddpm.Cli.Commands;

/// <summary>
/// The flags several commands take, each declared once: one name, one type and one description, so
/// <c>ddpm train --help</c> and <c>ddpm sample --help</c> say the same about <c>--device</c>. A flag left
/// out is null, and each command fills in the default the description names.
/// </summary>
internal static class SharedOptions
{
    /// <summary><c>--device</c>: where the network runs (train, sample, bench).</summary>
    public static Option<string?> Device() => new("--device") { Description = "cpu (default), cuda or cuda:N." };

    /// <summary><c>--threads</c>: libtorch's CPU threads (train, sample, bench).</summary>
    public static Option<int?> Threads() => new("--threads") { Description = "CPU threads for libtorch's operators, 1 to 1,024. Default: all logical cores." };

    /// <summary><c>--seed</c>: the random seed (train, sample, forward).</summary>
    public static Option<int?> Seed() => new("--seed") { Description = "Random seed, at least 0; the same seed gives the same result on the CPU. Default: 0." };

    /// <summary><c>--schedule</c>: the beta schedule (train, forward, import).</summary>
    public static Option<string?> Schedule() => new("--schedule") { Description = "Beta schedule: linear (default), cosine, quadratic, sigmoid or scaled-linear." };

    /// <summary><c>--sampler</c>: the reverse-process method (train's samples.png, sample).</summary>
    public static Option<string?> Sampler() => new("--sampler")
    {
        Description = "ddpm, ddim, dpm++2m, euler, euler-a or heun. Default: dpm++2m in 20 steps for the UNet (train --preset seed: ddpm); ddpm through every step for the notebook's SimpleUNet. --steps (sample) or --sampling-steps (train) defaults to the method's own: T for ddpm, 50 for ddim, 20 for dpm++2m and heun, 30 for euler and euler-a.",
    };

    /// <summary><c>--timesteps</c>: the number of diffusion steps T (train, forward, import, bench).</summary>
    public static Option<int?> Timesteps() => new("--timesteps")
    {
        Description = $"Diffusion steps T, 1 to 100,000. Default: {DefaultTimesteps}; {NotebookTimesteps} for the notebook's network (train --preset seed, import without --like, bench --model simple-unet).",
    };

    /// <summary>T where nothing else decides it: diffusers' and the DDPM paper's 1000.</summary>
    public const int DefaultTimesteps = 1000;

    /// <summary>The notebook's T.</summary>
    public const int NotebookTimesteps = 300;
}
