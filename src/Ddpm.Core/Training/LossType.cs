namespace Ddpm.Core.Training;

/// <summary>The loss between the network's prediction and the true noise (Ho et al. 2020, eq. 14, uses L2).</summary>
public enum LossType
{
    /// <summary>Mean absolute error, as the notebook uses.</summary>
    L1,

    /// <summary>Mean squared error, the paper's simplified objective L_simple.</summary>
    L2,

    /// <summary>Huber (smooth L1) loss: quadratic below <see cref="DdpmTrainerOptions.HuberDelta"/>, linear above.</summary>
    Huber,
}
