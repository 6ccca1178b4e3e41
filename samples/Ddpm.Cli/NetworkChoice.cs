namespace Ddpm.Cli;

/// <summary>The networks <c>ddpm train --model</c> offers.</summary>
internal enum NetworkChoice
{
    /// <summary>The library's UNet (GroupNorm, attention), the Small preset.</summary>
    UNet,

    /// <summary>The notebook's SimpleUNet (BatchNorm), narrowed to widths 32..256.</summary>
    SimpleUNet,
}
