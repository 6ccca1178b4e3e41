namespace Ddpm.Cli.Settings;

/// <summary>The networks <c>--model</c> offers.</summary>
internal enum NetworkChoice
{
    /// <summary><c>unet</c>: the library's UNet (GroupNorm, attention), sized by <c>--unet</c>.</summary>
    UNet,

    /// <summary><c>simple-unet</c>: the notebook's SimpleUNet (BatchNorm), exact.</summary>
    SimpleUNet,
}
