namespace Ddpm.Cli.Settings;

/// <summary>The named starting points <c>ddpm train --preset</c> offers; flags and a config file override them.</summary>
internal enum RunPreset
{
    /// <summary><c>default</c>: the library's default UNet on 32x32 grayscale images for a few thousand steps, about 10 minutes on 2 CPU cores with the bundled data.</summary>
    Default,

    /// <summary><c>seed</c>: the notebook: SimpleUNet, 64x64 RGB, T = 300 linear, L1, Adam 1e-3, batch 128, 100 epochs, random flips, ancestral sampling with batch statistics.</summary>
    Seed,

    /// <summary><c>fashion-mnist</c>: the quality bar: the default UNet, 5 epochs at batch 64, DPM-Solver++(2M) in 20 steps.</summary>
    FashionMnist,
}
