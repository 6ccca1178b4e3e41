namespace Ddpm.Core.Tests.TestSupport;

/// <summary>An <see cref="IProgress{T}"/> that calls back synchronously on the reporting thread (unlike Progress&lt;T&gt;).</summary>
internal sealed class RecordingProgress<T>(Action<T>? onReport = null) : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
