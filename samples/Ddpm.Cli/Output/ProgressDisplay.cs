using Ddpm.Core.Sampling;
using Ddpm.Core.Training;
using Ddpm.Core;
using Spectre.Console;

namespace Ddpm.Cli.Output;

/// <summary>
/// Shows training and sampling progress on standard error: a live bar with loss, images/s and ETA on an
/// interactive terminal, and a plain line every 5% when the output is redirected (logs, CI).
/// </summary>
internal static class ProgressDisplay
{
    public static T Train<T>(CliContext cli, Func<IProgress<TrainingProgress>, T> work) =>
        Run(cli, "training", work, (p, task) =>
        {
            task.MaxValue = p.TotalSteps;
            task.Value = p.Step;
            return $"step {p.Step:N0}/{p.TotalSteps:N0}  loss {p.SmoothedLoss:F4}  {p.ImagesPerSecond:F1} img/s  ETA {p.EstimatedRemaining:hh\\:mm\\:ss}";
        });

    public static T Sample<T>(CliContext cli, Func<IProgress<SamplingProgress>, T> work) =>
        Run(cli, "sampling", work, (p, task) =>
        {
            task.MaxValue = p.TotalSteps;
            task.Value = p.Step;
            return $"step {p.Step:N0}/{p.TotalSteps:N0}  batch {p.BatchIndex + 1}/{p.BatchCount}  {p.Elapsed:hh\\:mm\\:ss}";
        });

    private static T Run<T, TReport>(CliContext cli, string title, Func<IProgress<TReport>, T> work, Func<TReport, ProgressTask, string> describe)
    {
        if (!cli.Progress.Profile.Capabilities.Interactive)
        {
            return work(new LineProgress<TReport>(cli, title, describe));
        }

        return cli.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(title);
                T result = work(new SynchronousProgress<TReport>(report => task.Description = $"{title}: {Markup.Escape(describe(report, task))}"));
                task.StopTask();
                return result;
            });
    }

    /// <summary>A plain line at every 5% of the run and at its end.</summary>
    private sealed class LineProgress<TReport>(CliContext cli, string title, Func<TReport, ProgressTask, string> describe) : IProgress<TReport>
    {
        private readonly ProgressTask _task = new(0, title, 1, autoStart: false);
        private int _lastTwentieth = -1;

        public void Report(TReport value)
        {
            string text = describe(value, _task);
            int twentieth = (int)(20 * _task.Value / Math.Max(1, _task.MaxValue));
            if (twentieth != _lastTwentieth || _task.Value >= _task.MaxValue)
            {
                _lastTwentieth = twentieth;
                cli.Progress.WriteLine($"{title}: {text}");
            }
        }
    }
}
