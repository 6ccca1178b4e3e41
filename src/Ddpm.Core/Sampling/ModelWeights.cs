namespace Ddpm.Core.Sampling;

/// <summary>Which of a model's weights to sample with.</summary>
public enum ModelWeights
{
    /// <summary>The exponential moving average (<see cref="DdpmModel.EmaNetwork"/>) when the model has one, otherwise the trained weights.</summary>
    Ema,

    /// <summary>The trained weights (<see cref="DdpmModel.Network"/>).</summary>
    Trained,
}
