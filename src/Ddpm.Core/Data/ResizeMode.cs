namespace Ddpm.Core.Data;

/// <summary>How an image is fitted to the square training size.</summary>
public enum ResizeMode
{
    /// <summary>Scale both sides to the size, changing the aspect ratio (the notebook's <c>transforms.Resize((s, s))</c>).</summary>
    Stretch,

    /// <summary>Scale the shorter side to the size, then crop the centre square, keeping the aspect ratio.</summary>
    CenterCrop,
}
