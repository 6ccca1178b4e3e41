namespace Ddpm.Core.Training;

/// <summary>The optimiser that updates the network.</summary>
public enum OptimizerType
{
    /// <summary>Adam (Kingma &amp; Ba 2015), as the notebook uses; <see cref="DdpmTrainerOptions.WeightDecay"/> is added to the gradient (L2 penalty).</summary>
    Adam,

    /// <summary>AdamW (Loshchilov &amp; Hutter 2019): Adam with decoupled weight decay.</summary>
    AdamW,
}
