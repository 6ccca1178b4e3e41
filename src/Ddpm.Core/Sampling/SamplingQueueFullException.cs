namespace Ddpm.Core.Sampling;

/// <summary>A <see cref="SamplingQueue"/> refused a call because as many calls as it allows are already running and waiting; a web service answers 503 and the client retries later.</summary>
public sealed class SamplingQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="maxConcurrency">The queue's <see cref="SamplingQueue.MaxConcurrency"/>.</param>
    /// <param name="maxQueued">The queue's <see cref="SamplingQueue.MaxQueued"/>.</param>
    public SamplingQueueFullException(int maxConcurrency, int maxQueued)
        : base($"The sampling queue is full: {maxConcurrency} call(s) running and {maxQueued} waiting. Retry later, or create the SamplingQueue with a larger maxQueued.")
    {
        MaxConcurrency = maxConcurrency;
        MaxQueued = maxQueued;
    }

    /// <summary>Gets how many calls the queue runs at once.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Gets how many calls may wait.</summary>
    public int MaxQueued { get; }
}
