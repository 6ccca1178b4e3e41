using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ddpm.Core.Models;

/// <summary>
/// Inference forward passes, chosen per thread: while a scope is open on a thread, the library's own networks
/// (<see cref="IInferenceForwardNetwork"/>) run there as in eval mode whatever their modules' training flags say (no
/// dropout), and their BatchNorm layers normalise with the running statistics or, when asked, with the batch's own,
/// never updating the running ones. No module flag or buffer is read for it or written, so any number of threads can
/// sample one network at once. Like <c>no_grad</c> and PyTorch's <c>inference_mode</c>, the setting belongs to the thread.
/// </summary>
internal static class InferenceForward
{
    [ThreadStatic]
    private static Scope? t_current;

    /// <summary>Gets whether an inference scope is open on this thread.</summary>
    public static bool Active => t_current is not null;

    /// <summary>Opens an inference scope on this thread until the returned scope is disposed.</summary>
    /// <param name="batchStatistics">Whether BatchNorm normalises with each batch's own statistics (as in training mode, without updating the running ones) instead of the running statistics.</param>
    public static Scope Enter(bool batchStatistics) => t_current = new Scope(batchStatistics, t_current);

    /// <summary>
    /// Applies <paramref name="norm"/> to <paramref name="input"/> (Ioffe &amp; Szegedy 2015, eq. 1: y = γ (x − μ) / √(σ² + ε)
    /// + β): inside an inference scope with the running statistics or the batch's, as the scope asks; outside one as the
    /// module's training flag says, in training mode with the batch's statistics, updating the running ones (momentum) and
    /// the batch count. The module's own forward is never called: it counts batches with a Scalar nothing keeps alive
    /// (see <see cref="TensorScalars"/>).
    /// </summary>
    public static Tensor BatchNorm(BatchNorm norm, Tensor input)
    {
        if (t_current is { BatchStatistics: true })
        {
            // The batch's own statistics, stored nowhere.
            return nn.functional.batch_norm(input, null, null, norm.weight, norm.bias, training: true, eps: norm.eps);
        }

        if (t_current is not null || !norm.training)
        {
            return nn.functional.batch_norm(input, norm.running_mean, norm.running_var, norm.weight, norm.bias, training: false, eps: norm.eps);
        }

        // Training mode, as BatchNorm's own forward: one more batch, and a momentum of 1/count where none is set.
        double momentum = norm.momentum ?? 0.0;
        if (norm.num_batches_tracked is Tensor count)
        {
            TensorScalars.Increment(count);
            momentum = norm.momentum ?? 1.0 / count.item<long>();
        }

        return nn.functional.batch_norm(input, norm.running_mean, norm.running_var, norm.weight, norm.bias, training: true, momentum: momentum, eps: norm.eps);
    }

    /// <summary>Applies <paramref name="dropout"/> outside an inference scope; inside one, returns the input itself.</summary>
    public static Tensor Dropout(Dropout dropout, Tensor input) => t_current is null ? dropout.call(input) : input;

    /// <summary>An open inference scope; disposing it restores the enclosing one.</summary>
    internal sealed class Scope : IDisposable
    {
        private readonly Scope? _enclosing;

        internal Scope(bool batchStatistics, Scope? enclosing)
        {
            BatchStatistics = batchStatistics;
            _enclosing = enclosing;
        }

        /// <summary>Gets whether BatchNorm uses each batch's own statistics.</summary>
        public bool BatchStatistics { get; }

        /// <summary>Closes the scope.</summary>
        public void Dispose() => t_current = _enclosing;
    }
}
