using Ddpm.Core.Sampling.Methods;

namespace Ddpm.Core.Sampling;

/// <summary>The built-in methods behind <see cref="SamplingMethod"/>, which configuration files can name; code can pass any <see cref="ISamplingMethod"/> as <see cref="DdpmSamplerOptions.CustomMethod"/>.</summary>
public static class SamplingMethods
{
    /// <summary>
    /// Each built-in method by the name its own object gives (<see cref="ISamplingMethod.Name"/>: ddpm, ddim, dpm++2m,
    /// euler, euler-a, heun), in the order of <see cref="SamplingMethod"/>: for command lines and configuration that
    /// name a method.
    /// </summary>
    public static IReadOnlyDictionary<string, SamplingMethod> ByName { get; } =
        Enum.GetValues<SamplingMethod>().ToDictionary(method => Create(method).Name);

    /// <summary>The method a <see cref="SamplingMethod"/> names, with the options' η and variance where it takes them.</summary>
    /// <param name="method">The method.</param>
    /// <param name="eta">DDIM's η (and Euler ancestral's, when above 0).</param>
    /// <param name="variance">DDPM's variance.</param>
    /// <returns>A new method object.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a defined value.</exception>
    public static ISamplingMethod Create(SamplingMethod method, double eta = 0, VarianceType variance = VarianceType.FixedSmall) => method switch
    {
        SamplingMethod.Ddpm => new DdpmMethod(variance),
        SamplingMethod.Ddim => new DdimMethod(eta),
        SamplingMethod.DpmSolverPlusPlus2M => new DpmSolverPlusPlus2MMethod(),
        SamplingMethod.Euler => new EulerMethod(),
        SamplingMethod.EulerAncestral => new EulerAncestralMethod(eta > 0 ? eta : 1),
        SamplingMethod.Heun => new HeunMethod(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Use Ddpm, Ddim, DpmSolverPlusPlus2M, Euler, EulerAncestral or Heun."),
    };
}
