using Ddpm.Core.Schedules;

namespace Ddpm.Cli.Settings;

/// <summary>Turns a <see cref="ScheduleChoice"/> into the library's schedule.</summary>
internal static class ScheduleChoices
{
    public static IBetaSchedule ToSchedule(this ScheduleChoice choice) => choice switch
    {
        ScheduleChoice.Cosine => KnownBetaSchedules.Cosine,
        ScheduleChoice.Quadratic => KnownBetaSchedules.Quadratic,
        ScheduleChoice.Sigmoid => KnownBetaSchedules.Sigmoid,
        ScheduleChoice.ScaledLinear => KnownBetaSchedules.ScaledLinear,
        _ => KnownBetaSchedules.Linear,
    };
}
