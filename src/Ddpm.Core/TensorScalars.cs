using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core;

/// <summary>
/// Arithmetic between tensors, and between tensors and numbers, that keeps every TorchSharp <see cref="Scalar"/> alive
/// until libtorch has returned. TorchSharp's operators make a finalizable Scalar for each number they take (and an
/// alpha of 1 for <c>a + b</c>), pass its native handle to libtorch and reference it no more, so a
/// garbage collection during the call can run its finalizer and free it while libtorch still reads it: the process
/// dies with "Expected false to be true ... toFloat at Scalar.h:140" (TorchSharp pull requests 1434 and 1496; measured
/// with <c>ddpm-benchmarks gc-stress</c>, docs/reliability.md). Here each number is held by a <c>using</c> variable
/// until the call returns, and the alpha of 1 is one Scalar that lives as long as the process. The library uses these
/// instead of TorchSharp's operators on its training and sampling paths; <c>ScalarLifetimeTests</c> reads its IL to keep
/// it so.
/// </summary>
internal static class TensorScalars
{
    /// <summary>The alpha of a plain sum or difference; static, so never finalized (libtorch only reads it).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + alpha · b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b, double alpha)
    {
        using Scalar scalar = alpha.ToScalar();
        return a.add(b, scalar);
    }

    /// <summary>a + value.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.add(scalar, One);
    }

    /// <summary>a · factor.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using Scalar scalar = factor.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a / divisor.</summary>
    public static Tensor Over(this Tensor a, double divisor)
    {
        using Scalar scalar = divisor.ToScalar();
        return a.div(scalar);
    }

    /// <summary>value − a (as TorchSharp computes it: −a + value).</summary>
    public static Tensor SubtractedFrom(this Tensor a, double value)
    {
        using var scope = NewDisposeScope();
        return a.negative().Plus(value).MoveToOuterDisposeScope();
    }

    /// <summary>a clamped to [min, max].</summary>
    public static Tensor Clamp(this Tensor a, double min, double max)
    {
        using Scalar low = min.ToScalar();
        using Scalar high = max.ToScalar();
        return a.clamp(low, high);
    }

    /// <summary>a with every element below <paramref name="min"/> replaced by it.</summary>
    public static Tensor ClampMin(this Tensor a, double min)
    {
        using Scalar low = min.ToScalar();
        return a.clamp_min(low);
    }

    /// <summary>a with every element above <paramref name="max"/> replaced by it.</summary>
    public static Tensor ClampMax(this Tensor a, double max)
    {
        using Scalar high = max.ToScalar();
        return a.clamp_max(high);
    }

    /// <summary>a with the elements where <paramref name="mask"/> is true replaced by <paramref name="value"/>.</summary>
    public static Tensor MaskedFill(this Tensor a, Tensor mask, long value)
    {
        using Scalar scalar = value.ToScalar();
        return a.masked_fill(mask, scalar);
    }

    /// <summary>a == value, element-wise.</summary>
    public static Tensor EqualTo(this Tensor a, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.eq(scalar);
    }

    /// <summary>a &lt; value, element-wise.</summary>
    public static Tensor LessThan(this Tensor a, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.lt(scalar);
    }

    /// <summary>a ← a · factor, in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double factor)
    {
        using Scalar scalar = factor.ToScalar();
        return a.mul_(scalar);
    }

    /// <summary>a ← a / divisor, in place.</summary>
    public static Tensor OverInPlace(this Tensor a, double divisor)
    {
        using Scalar scalar = divisor.ToScalar();
        return a.div_(scalar);
    }

    /// <summary>a ← a + value, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.add_(scalar, One);
    }

    /// <summary>a ← a + alpha · b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b, double alpha)
    {
        using Scalar scalar = alpha.ToScalar();
        return a.add_(b, scalar);
    }

    /// <summary>a ← a + value · b · c, in place.</summary>
    public static Tensor AddProductInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.addcmul_(b, c, scalar);
    }

    /// <summary>a ← a + value · b / c, in place.</summary>
    public static Tensor AddQuotientInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using Scalar scalar = value.ToScalar();
        return a.addcdiv_(b, c, scalar);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, long value, ScalarType dtype, Device device)
    {
        using Scalar scalar = value.ToScalar();
        return full(shape, scalar, dtype: dtype, device: device);
    }

    /// <summary>0, 1, ..., <paramref name="count"/> − 1.</summary>
    public static Tensor Arange(long count, ScalarType dtype, Device device)
    {
        using Scalar start = 0L.ToScalar();
        using Scalar stop = count.ToScalar();
        using Scalar step = 1L.ToScalar();
        return arange(start, stop, step, dtype: dtype, device: device);
    }

    /// <summary>The count of a BatchNorm layer's batches, one more (what its training-mode forward does with an unkept Scalar).</summary>
    public static void Increment(Tensor count) => count.add_(One, One);
}
