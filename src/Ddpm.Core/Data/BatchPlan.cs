namespace Ddpm.Core.Data;

/// <summary>
/// Which images make up micro-batch number m of a run, and which of them are flipped: a pure
/// function of (seed, m), so any position of a run can be recomputed without replaying it.
/// </summary>
internal sealed class BatchPlan
{
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private readonly bool _flip;
    private int _cachedEpoch = -1;
    private int[] _order = [];

    public BatchPlan(int datasetCount, int batchSize, int seed, bool shuffle, bool flip)
    {
        DatasetCount = datasetCount;
        BatchSize = batchSize;
        BatchesPerEpoch = datasetCount / batchSize;
        _seed = (ulong)seed;
        _shuffle = shuffle;
        _flip = flip;
    }

    public int DatasetCount { get; }

    public int BatchSize { get; }

    /// <summary>Full batches per epoch; the last partial one is dropped, as in the notebook.</summary>
    public int BatchesPerEpoch { get; }

    public int EpochOf(long microBatch) => (int)(microBatch / BatchesPerEpoch);

    /// <summary>Writes the dataset indices of micro-batch <paramref name="microBatch"/> into <paramref name="indices"/>.</summary>
    public void IndicesOf(long microBatch, Span<int> indices)
    {
        int epoch = EpochOf(microBatch);
        int start = (int)(microBatch % BatchesPerEpoch) * BatchSize;
        if (!_shuffle)
        {
            for (int i = 0; i < BatchSize; i++)
            {
                indices[i] = start + i;
            }

            return;
        }

        if (epoch != _cachedEpoch)
        {
            _order = CounterRandom.Permutation(_seed, (uint)epoch, DatasetCount);
            _cachedEpoch = epoch;
        }

        _order.AsSpan(start, BatchSize).CopyTo(indices);
    }

    /// <summary>Whether image <paramref name="index"/> is flipped in <paramref name="epoch"/>.</summary>
    public bool IsFlipped(int epoch, int index) =>
        _flip && CounterRandom.NextBool(_seed, 0x8000_0000_0000_0000UL | (uint)epoch, (uint)index);
}
