namespace Ddpm.Core.Sampling;

/// <summary>Which statistics BatchNorm layers normalise with while sampling.</summary>
public enum BatchNormMode
{
    /// <summary>The running statistics gathered in training (eval mode). Correct for networks trained to be sampled this way; poor for SimpleUNet, whose statistics pool every timestep.</summary>
    RunningStatistics,

    /// <summary>The statistics of the batch being sampled, as the notebook effectively does (it never calls eval()). The running statistics are left exactly as they were.</summary>
    BatchStatistics,
}
