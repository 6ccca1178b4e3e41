using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ddpm.Core.Data;

/// <summary>
/// Prepares micro-batches (images copied from the dataset, flipped as planned) on a background
/// thread, a bounded number ahead of the training step, in the plan's deterministic order. With a
/// depth of 0 it prepares each batch on the caller's thread instead. Only managed buffers cross
/// threads; tensors are made by the training thread.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private readonly IImageDataset _dataset;
    private readonly BatchPlan _plan;
    private readonly long _end;
    private readonly ConcurrentBag<float[]> _pool = [];
    private readonly BlockingCollection<(long MicroBatch, float[] Buffer, long[]? Labels)>? _queue;
    private readonly ILabeledImageDataset? _labeled;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task? _producer;
    private readonly int[] _indices;
    private readonly float[] _image;
    private long _next;
    private long _waitedTicks;
    private Exception? _failure;

    public BatchPrefetcher(IImageDataset dataset, BatchPlan plan, long start, long end, int depth, bool withLabels = false)
    {
        _dataset = dataset;
        _plan = plan;
        _next = start;
        _end = end;
        _indices = new int[plan.BatchSize];
        _image = new float[dataset.Shape.ElementCount];
        _labeled = withLabels ? (ILabeledImageDataset)dataset : null;
        if (depth > 0)
        {
            _queue = new BlockingCollection<(long, float[], long[]?)>(depth);
            _producer = Task.Factory.StartNew(() => Produce(start), TaskCreationOptions.LongRunning);
        }
    }

    /// <summary>
    /// The time <see cref="Next"/> has spent blocked so far: waiting for the background thread or, without
    /// prefetching, preparing the batch itself. Near zero when the data keeps up with the training step.
    /// </summary>
    public TimeSpan WaitTime => Stopwatch.GetElapsedTime(0, _waitedTicks);

    /// <summary>The next micro-batch's values, [B, C, H, W] flattened, and its labels if asked for; give the buffer back with <see cref="Return"/>.</summary>
    public (long MicroBatch, float[] Buffer, long[]? Labels) Next()
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            if (_queue is null)
            {
                float[] buffer = Rent();
                long microBatch = _next++;
                long[]? labels = Fill(microBatch, buffer, _indices, _image);
                return (microBatch, buffer, labels);
            }

            return _queue.Take();
        }
        catch (InvalidOperationException) when (_failure is not null)
        {
            throw new InvalidOperationException($"Reading the training data failed: {_failure.Message}", _failure);
        }
        finally
        {
            _waitedTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    public void Return(float[] buffer) => _pool.Add(buffer);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer?.Wait();
        }
        catch (AggregateException)
        {
            // The producer's own failure was already reported through Next().
        }

        _queue?.Dispose();
        _stop.Dispose();
    }

    private void Produce(long start)
    {
        var indices = new int[_plan.BatchSize];
        var image = new float[_dataset.Shape.ElementCount];
        try
        {
            for (long microBatch = start; microBatch < _end; microBatch++)
            {
                float[] buffer = Rent();
                long[]? labels = Fill(microBatch, buffer, indices, image);
                _queue!.Add((microBatch, buffer, labels), _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failure = e;
        }
        finally
        {
            _queue!.CompleteAdding();
        }
    }

    private float[] Rent() => _pool.TryTake(out float[]? buffer) ? buffer : new float[_plan.BatchSize * _dataset.Shape.ElementCount];

    private long[]? Fill(long microBatch, float[] buffer, int[] indices, float[] image)
    {
        ImageShape shape = _dataset.Shape;
        int size = shape.ElementCount;
        int epoch = _plan.EpochOf(microBatch);
        _plan.IndicesOf(microBatch, indices);
        for (int b = 0; b < indices.Length; b++)
        {
            Span<float> target = buffer.AsSpan(b * size, size);
            if (!_plan.IsFlipped(epoch, indices[b]))
            {
                _dataset.CopyImage(indices[b], target);
                CheckFinite(indices[b], target);
                continue;
            }

            _dataset.CopyImage(indices[b], image);
            CheckFinite(indices[b], image);
            for (int start = 0; start < size; start += shape.Width)
            {
                // Reverse each row of each channel plane: a horizontal flip.
                for (int x = 0; x < shape.Width; x++)
                {
                    target[start + x] = image[start + shape.Width - 1 - x];
                }
            }
        }

        return _labeled is null ? null : indices.Select(i => (long)_labeled.GetLabel(i)).ToArray();
    }

    /// <summary>
    /// Streaming datasets are checked as each image is read (in-memory ones are checked up front as
    /// well): one NaN or infinity would otherwise surface steps later as a diverged loss, far from its cause.
    /// </summary>
    private void CheckFinite(int index, ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new InvalidDataException(
                    $"Image {index} of the dataset ({_dataset.GetType().Name}) holds the value {values[i]} at element {i}; training data must be finite, in [-1, 1]. Check the dataset's CopyImage.");
            }
        }
    }
}
