namespace Ddpm.Core.Training;

/// <summary>How the learning rate changes after the warm-up of <see cref="DdpmTrainerOptions.WarmupSteps"/>.</summary>
public enum LearningRateSchedule
{
    /// <summary>Stay at <see cref="DdpmTrainerOptions.LearningRate"/> (the notebook).</summary>
    Constant,

    /// <summary>Follow half a cosine from <see cref="DdpmTrainerOptions.LearningRate"/> down to <see cref="DdpmTrainerOptions.MinLearningRate"/> at the last step.</summary>
    Cosine,
}
