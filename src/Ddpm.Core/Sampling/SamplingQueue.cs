using static TorchSharp.torch;

namespace Ddpm.Core.Sampling;

/// <summary>
/// Runs the sampling calls of a service with bounded work: at most <see cref="MaxConcurrency"/> calls at a time, the
/// others waiting asynchronously (no thread is blocked while a request waits), and at most <see cref="MaxQueued"/>
/// waiting. The default of one call at a time answers the first of many requests soonest and bounds the threads
/// and memory the work takes; small requests, which leave cores idle, go through faster with a few calls at once
/// (measured in docs/serving.md). Cancelling a request's token stops its wait, or its work after the current
/// reverse step.
/// </summary>
public sealed class SamplingQueue : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private int _pending;

    /// <summary>Creates a queue.</summary>
    /// <param name="maxConcurrency">How many calls run at once. The default value is 1. Valid values: 1 to 1024.</param>
    /// <param name="maxQueued">How many calls may wait for a slot; one more is refused with <see cref="SamplingQueueFullException"/>. The default value is 64. Valid values: 0 to 1,000,000.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public SamplingQueue(int maxConcurrency = 1, int maxQueued = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxConcurrency, 1024);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxQueued, 1_000_000);
        MaxConcurrency = maxConcurrency;
        MaxQueued = maxQueued;
        _slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
    }

    /// <summary>Gets how many calls run at once.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Gets how many calls may wait for a slot.</summary>
    public int MaxQueued { get; }

    /// <summary>Gets how many calls are running or waiting now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Waits for a slot, then samples <paramref name="count"/> images on a thread of its own.</summary>
    /// <param name="sampler">The sampler (for a per-request seed: <c>sampler.WithSeed(seed)</c>).</param>
    /// <param name="model">The model; any number of calls may share it.</param>
    /// <param name="count">How many images; at least 1.</param>
    /// <param name="cancellationToken">Stops the wait, or the work after the current reverse step.</param>
    /// <returns>The images, as <see cref="DdpmSampler.Sample"/> returns them; the caller owns the tensor.</returns>
    /// <exception cref="SamplingQueueFullException"><see cref="MaxQueued"/> calls are already waiting.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<Tensor> SampleAsync(DdpmSampler sampler, DdpmModel model, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(model);
        if (Interlocked.Increment(ref _pending) > MaxConcurrency + MaxQueued)
        {
            Interlocked.Decrement(ref _pending);
            throw new SamplingQueueFullException(MaxConcurrency, MaxQueued);
        }

        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await Task.Factory.StartNew(
                    () => sampler.Sample(model, count, cancellationToken: cancellationToken),
                    cancellationToken,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Releases the queue's semaphore; calls still running finish.</summary>
    public void Dispose() => _slots.Dispose();
}
