using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>One parameter's Adam state as a checkpoint stores it: its name, first and second moments, and step count.</summary>
/// <param name="Name">The parameter's state-dict name.</param>
/// <param name="ExpAvg">The first moment (written from, or restored into, this tensor).</param>
/// <param name="ExpAvgSq">The second moment (written from, or restored into, this tensor).</param>
/// <param name="Step">The parameter's step count when written (ignored when restoring).</param>
internal sealed record OptimizerMoments(string Name, Tensor ExpAvg, Tensor ExpAvgSq, long Step);
