namespace Ddpm.Core.Training;

/// <summary>
/// Options of the exponential moving average (EMA) of the weights. The decay warms up from 0 as
/// 1 - (1 + step / <see cref="InverseGamma"/>)^(-<see cref="Power"/>), capped at <see cref="MaxDecay"/>,
/// so early averages follow the fast-changing weights instead of remembering the random initial ones.
/// </summary>
public sealed class EmaOptions
{
    /// <summary>Gets or sets whether an EMA of the weights is kept; the trained model then samples from it by default.</summary>
    /// <value>The default value is true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the largest decay the warm-up reaches.</summary>
    /// <value>The default value is 0.9999. Valid values: [0, 1).</value>
    public double MaxDecay { get; set; } = 0.9999;

    /// <summary>Gets or sets the power of the warm-up: 3/4 suits runs of a few hundred thousand steps or less, 2/3 longer ones.</summary>
    /// <value>The default value is 0.75. Valid values: (0, 10].</value>
    public double Power { get; set; } = 0.75;

    /// <summary>Gets or sets the inverse multiplicative factor of the warm-up.</summary>
    /// <value>The default value is 1. Valid values: (0, 10^9].</value>
    public double InverseGamma { get; set; } = 1;

    /// <summary>Gets or sets the optimiser step from which the average is updated; before it the EMA copies the weights.</summary>
    /// <value>The default value is 0. Valid values: 0 or more.</value>
    public long StartStep { get; set; }

    /// <summary>Gets or sets how often, in optimiser steps, the average is updated.</summary>
    /// <value>The default value is 1. Valid values: 1 to 10,000.</value>
    public int UpdateInterval { get; set; } = 1;

    /// <summary>A copy that later changes to this instance do not reach.</summary>
    internal EmaOptions Snapshot() => (EmaOptions)MemberwiseClone();
}
