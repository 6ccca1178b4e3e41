using Microsoft.Extensions.Logging;

namespace Ddpm.Core.Tests.TestSupport;

/// <summary>An <see cref="ILogger{T}"/> that keeps every formatted message, by level.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_entries)
            {
                return _entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message).ToList();
            }
        }
    }

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToList();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
