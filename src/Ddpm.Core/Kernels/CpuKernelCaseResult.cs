using System.Globalization;

namespace Ddpm.Core.Kernels;

/// <summary>One quantity of the CPU kernel check: a float32 (or bfloat16) result compared with the float64 one.</summary>
/// <param name="Name">What was computed, for example <c>conv 24→48 3x3 s1 input-grad</c>.</param>
/// <param name="Error">The largest absolute difference divided by the largest absolute float64 value; positive infinity when the result held NaN or infinity.</param>
/// <param name="Tolerance">The largest error that passes: 1e-4 for float32, 5e-2 for bfloat16.</param>
public sealed record CpuKernelCaseResult(string Name, double Error, double Tolerance)
{
    /// <summary>Gets whether the error is within the tolerance.</summary>
    public bool Passed => Error <= Tolerance;

    /// <summary>Returns the case, its error and the tolerance, e.g. <c>conv 24→48 3x3 s1 forward: error 0.35 (tolerance 1e-4)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: error {(double.IsPositiveInfinity(Error) ? "NaN/inf" : Error.ToString("G2", CultureInfo.InvariantCulture))} (tolerance {Tolerance:G1})");
}
