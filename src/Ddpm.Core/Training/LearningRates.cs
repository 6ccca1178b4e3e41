namespace Ddpm.Core.Training;

/// <summary>The learning rate for each optimiser step: linear warm-up, then constant or cosine decay.</summary>
internal static class LearningRates
{
    /// <summary>The rate for step <paramref name="step"/> (1-based) of <paramref name="totalSteps"/>.</summary>
    public static double At(DdpmTrainerOptions options, long step, long totalSteps)
    {
        double peak = options.LearningRate;
        if (options.WarmupSteps > 0 && step <= options.WarmupSteps)
        {
            return peak * step / options.WarmupSteps;
        }

        if (options.LearningRateSchedule == LearningRateSchedule.Constant || totalSteps <= options.WarmupSteps)
        {
            return peak;
        }

        double progress = (double)(step - options.WarmupSteps) / (totalSteps - options.WarmupSteps);
        return options.MinLearningRate + ((peak - options.MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1))));
    }
}
