namespace Ddpm.Core;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler at once, on the thread that reports: the training or
/// sampling thread, in step order, and before <c>Fit</c> or <c>Sample</c> returns. Use it for console output
/// and logging. <see cref="Progress{T}"/> instead posts each report to the captured synchronisation context, and
/// a console app has none, so its reports run on thread-pool threads, possibly out of order and after the
/// call returned; it suits UI apps, whose context marshals reports to the UI thread.
/// </summary>
/// <typeparam name="T">The report type, for example <see cref="Training.TrainingProgress"/>.</typeparam>
public sealed class SynchronousProgress<T> : IProgress<T>
{
    private readonly Action<T> _handler;

    /// <summary>Creates the progress sink.</summary>
    /// <param name="handler">Runs for each report, on the reporting thread; keep it short, as the step waits for it.</param>
    public SynchronousProgress(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
    }

    /// <summary>Runs the handler with <paramref name="value"/>.</summary>
    /// <param name="value">The report.</param>
    public void Report(T value) => _handler(value);
}
