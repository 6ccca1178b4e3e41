using Ddpm.Core.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Diffusion;

/// <summary>
/// The fixed terms of a DDPM's forward process and posterior (Ho et al. 2020, §2), precomputed once
/// in float64 from an <see cref="IBetaSchedule"/> and stored as float32 tensors of length T on one
/// device, with the operations built from them: sampling q(x_t | x_0) in closed form, predicting x_0
/// from noise, and the posterior q(x_{t-1} | x_t, x_0).
/// </summary>
/// <remarks>
/// Timesteps are zero-based, as in the notebook and diffusers: <c>t = 0</c> is the first noising
/// step (the paper's t = 1) and <c>t = T - 1</c> the last. Every method takes a one-dimensional
/// int64 tensor of per-sample timesteps whose length equals the batch size. The tensors exposed as
/// properties belong to the scheduler: read them, do not dispose them.
/// </remarks>
public sealed class NoiseScheduler : IDisposable
{
    private readonly Tensor[] _owned;
    private bool _disposed;

    /// <summary>Precomputes every term for <paramref name="timesteps"/> steps of <paramref name="schedule"/>.</summary>
    /// <param name="schedule">The beta schedule, for example <see cref="KnownBetaSchedules.Linear"/>.</param>
    /// <param name="timesteps">The number of diffusion steps T; at least 1. The notebook uses 300.</param>
    /// <param name="device">Where the tensors live; the default is the CPU.</param>
    /// <exception cref="ArgumentNullException"><paramref name="schedule"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timesteps"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The schedule returned a beta outside (0, 1] or of the wrong length.</exception>
    public NoiseScheduler(IBetaSchedule schedule, int timesteps, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (timesteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(timesteps), timesteps, "The number of diffusion timesteps T must be at least 1 (the notebook uses 300).");
        }

        Schedule = schedule;
        Timesteps = timesteps;
        Device = device ?? CPU;

        double[] betas = schedule.GetBetas(timesteps);
        if (betas.Length != timesteps)
        {
            throw new ArgumentException($"The schedule '{schedule.Name}' returned {betas.Length} betas for T = {timesteps}.", nameof(schedule));
        }

        for (int i = 0; i < betas.Length; i++)
        {
            if (!(betas[i] > 0 && betas[i] <= 1))
            {
                throw new ArgumentException($"The schedule '{schedule.Name}' returned beta[{i}] = {betas[i]}; every beta must lie in (0, 1].", nameof(schedule));
            }
        }

        BetaValues = betas;
        int n = timesteps;
        var alphas = new double[n];
        var alphasCumprod = new double[n];
        var alphasCumprodPrev = new double[n];
        var sqrtRecipAlphas = new double[n];
        var sqrtAlphasCumprod = new double[n];
        var sqrtOneMinusAlphasCumprod = new double[n];
        var sqrtRecipAlphasCumprod = new double[n];
        var sqrtRecipm1AlphasCumprod = new double[n];
        var posteriorVariance = new double[n];
        var posteriorLogVarianceClipped = new double[n];
        var posteriorMeanCoef1 = new double[n];
        var posteriorMeanCoef2 = new double[n];

        double product = 1;
        for (int t = 0; t < n; t++)
        {
            alphas[t] = 1 - betas[t];
            alphasCumprodPrev[t] = product;
            product *= alphas[t];
            alphasCumprod[t] = product;
            sqrtRecipAlphas[t] = Math.Sqrt(1 / alphas[t]);
            sqrtAlphasCumprod[t] = Math.Sqrt(product);
            sqrtOneMinusAlphasCumprod[t] = Math.Sqrt(1 - product);
            sqrtRecipAlphasCumprod[t] = Math.Sqrt(1 / product);
            sqrtRecipm1AlphasCumprod[t] = Math.Sqrt((1 / product) - 1);

            // β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t (eq. 7); zero at t = 0, where ᾱ_{t-1} = 1.
            posteriorVariance[t] = betas[t] * (1 - alphasCumprodPrev[t]) / (1 - product);

            // μ̃_t = coef1 · x_0 + coef2 · x_t (eq. 7).
            posteriorMeanCoef1[t] = betas[t] * Math.Sqrt(alphasCumprodPrev[t]) / (1 - product);
            posteriorMeanCoef2[t] = (1 - alphasCumprodPrev[t]) * Math.Sqrt(alphas[t]) / (1 - product);
        }

        // log β̃_t with the t = 0 entry (log 0) replaced by that of t = 1, as in the reference implementations.
        for (int t = 0; t < n; t++)
        {
            double variance = t == 0 && n > 1 ? posteriorVariance[1] : posteriorVariance[t];
            posteriorLogVarianceClipped[t] = Math.Log(Math.Max(variance, 1e-20));
        }

        AlphasCumprodValues = alphasCumprod;
        Betas = Store(betas);
        Alphas = Store(alphas);
        AlphasCumprod = Store(alphasCumprod);
        AlphasCumprodPrev = Store(alphasCumprodPrev);
        SqrtRecipAlphas = Store(sqrtRecipAlphas);
        SqrtAlphasCumprod = Store(sqrtAlphasCumprod);
        SqrtOneMinusAlphasCumprod = Store(sqrtOneMinusAlphasCumprod);
        SqrtRecipAlphasCumprod = Store(sqrtRecipAlphasCumprod);
        SqrtRecipm1AlphasCumprod = Store(sqrtRecipm1AlphasCumprod);
        PosteriorVariance = Store(posteriorVariance);
        PosteriorLogVarianceClipped = Store(posteriorLogVarianceClipped);
        PosteriorMeanCoef1 = Store(posteriorMeanCoef1);
        PosteriorMeanCoef2 = Store(posteriorMeanCoef2);
        _owned =
        [
            Betas, Alphas, AlphasCumprod, AlphasCumprodPrev, SqrtRecipAlphas, SqrtAlphasCumprod, SqrtOneMinusAlphasCumprod,
            SqrtRecipAlphasCumprod, SqrtRecipm1AlphasCumprod, PosteriorVariance, PosteriorLogVarianceClipped,
            PosteriorMeanCoef1, PosteriorMeanCoef2,
        ];
    }

    /// <summary>Gets the beta schedule the terms were computed from.</summary>
    public IBetaSchedule Schedule { get; }

    /// <summary>Gets the number of diffusion steps T.</summary>
    public int Timesteps { get; }

    /// <summary>Gets the device the tensors live on.</summary>
    public Device Device { get; }

    /// <summary>Gets the betas in double precision, as the schedule returned them (what checkpoints store).</summary>
    internal double[] BetaValues { get; }

    /// <summary>Gets ᾱ_t in double precision, for per-step scalars of samplers.</summary>
    internal double[] AlphasCumprodValues { get; }

    /// <summary>Gets β_t.</summary>
    public Tensor Betas { get; }

    /// <summary>Gets α_t = 1 - β_t.</summary>
    public Tensor Alphas { get; }

    /// <summary>Gets ᾱ_t = ∏_{s≤t} α_s.</summary>
    public Tensor AlphasCumprod { get; }

    /// <summary>Gets ᾱ_{t-1}, with ᾱ_{-1} = 1.</summary>
    public Tensor AlphasCumprodPrev { get; }

    /// <summary>Gets 1/√α_t.</summary>
    public Tensor SqrtRecipAlphas { get; }

    /// <summary>Gets √ᾱ_t.</summary>
    public Tensor SqrtAlphasCumprod { get; }

    /// <summary>Gets √(1 - ᾱ_t).</summary>
    public Tensor SqrtOneMinusAlphasCumprod { get; }

    /// <summary>Gets 1/√ᾱ_t.</summary>
    public Tensor SqrtRecipAlphasCumprod { get; }

    /// <summary>Gets √(1/ᾱ_t - 1).</summary>
    public Tensor SqrtRecipm1AlphasCumprod { get; }

    /// <summary>Gets the posterior variance β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t (eq. 7); zero at t = 0.</summary>
    public Tensor PosteriorVariance { get; }

    /// <summary>Gets log β̃_t, with the t = 0 entry clipped to that of t = 1 so that it is finite.</summary>
    public Tensor PosteriorLogVarianceClipped { get; }

    /// <summary>Gets the coefficient of x_0 in the posterior mean: β_t √ᾱ_{t-1} / (1 - ᾱ_t) (eq. 7).</summary>
    public Tensor PosteriorMeanCoef1 { get; }

    /// <summary>Gets the coefficient of x_t in the posterior mean: (1 - ᾱ_{t-1}) √α_t / (1 - ᾱ_t) (eq. 7).</summary>
    public Tensor PosteriorMeanCoef2 { get; }

    /// <summary>
    /// Samples q(x_t | x_0) in closed form with the given noise:
    /// x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε (eq. 4, reparameterised as in Algorithm 1).
    /// </summary>
    /// <param name="x0">Clean samples, shape [B, ...].</param>
    /// <param name="noise">ε ~ N(0, I), same shape as <paramref name="x0"/>.</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B], each in [0, T - 1].</param>
    /// <returns>x_t, a new tensor the caller owns.</returns>
    public Tensor AddNoise(Tensor x0, Tensor noise, Tensor t)
    {
        CheckSameShape(x0, noise, nameof(noise));
        CheckTimesteps(t, x0);
        return AddNoiseCore(x0, noise, t);
    }

    /// <summary>Samples q(x_t | x_0) in closed form, drawing the noise ε ~ N(0, I) itself (eq. 4).</summary>
    /// <param name="x0">Clean samples, shape [B, ...].</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B], each in [0, T - 1].</param>
    /// <param name="generator">The random generator to draw from; null uses TorchSharp's default generator.</param>
    /// <returns>x_t and the noise used; the caller owns both.</returns>
    public ForwardDiffusionSample AddNoise(Tensor x0, Tensor t, Generator? generator = null)
    {
        CheckTimesteps(t, x0);
        using var scope = NewDisposeScope();
        Tensor noise = randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator);
        Tensor xt = AddNoiseCore(x0, noise, t);
        return new ForwardDiffusionSample(xt.MoveToOuterDisposeScope(), noise.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Predicts x_0 from x_t and a noise prediction by inverting eq. 4:
    /// x̂_0 = x_t / √ᾱ_t - √(1/ᾱ_t - 1) ε̂.
    /// </summary>
    /// <param name="xt">Noisy samples, shape [B, ...].</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <param name="noise">The (predicted) noise ε̂, same shape as <paramref name="xt"/>.</param>
    /// <returns>x̂_0, a new tensor the caller owns.</returns>
    public Tensor PredictStartFromNoise(Tensor xt, Tensor t, Tensor noise)
    {
        CheckSameShape(xt, noise, nameof(noise));
        CheckTimesteps(t, xt);
        using var scope = NewDisposeScope();
        return (Extract(SqrtRecipAlphasCumprod, t, xt) * xt - Extract(SqrtRecipm1AlphasCumprod, t, xt) * noise)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The posterior q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I) with
    /// μ̃_t = β_t √ᾱ_{t-1} / (1 - ᾱ_t) x_0 + (1 - ᾱ_{t-1}) √α_t / (1 - ᾱ_t) x_t (eqs. 6 and 7).
    /// </summary>
    /// <param name="x0">Clean (or predicted) samples, shape [B, ...].</param>
    /// <param name="xt">Noisy samples, same shape.</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <returns>The mean, variance and clipped log variance, broadcastable to the samples; the caller owns them.</returns>
    public PosteriorDistribution GetPosterior(Tensor x0, Tensor xt, Tensor t)
    {
        CheckSameShape(xt, x0, nameof(x0));
        CheckTimesteps(t, xt);
        using var scope = NewDisposeScope();
        Tensor mean = (Extract(PosteriorMeanCoef1, t, xt) * x0).Plus(Extract(PosteriorMeanCoef2, t, xt) * xt);
        Tensor variance = Extract(PosteriorVariance, t, xt);
        Tensor logVariance = Extract(PosteriorLogVarianceClipped, t, xt);
        return new PosteriorDistribution(
            mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope(), logVariance.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The mean of p_θ(x_{t-1} | x_t) for a noise-predicting model, as the notebook computes it:
    /// μ_θ = 1/√α_t · (x_t - β_t / √(1 - ᾱ_t) · ε_θ(x_t, t)) (eq. 11).
    /// </summary>
    /// <param name="xt">Noisy samples, shape [B, ...].</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <param name="predictedNoise">ε_θ(x_t, t), same shape as <paramref name="xt"/>.</param>
    /// <returns>μ_θ, a new tensor the caller owns.</returns>
    public Tensor PredictPreviousMean(Tensor xt, Tensor t, Tensor predictedNoise)
    {
        CheckSameShape(xt, predictedNoise, nameof(predictedNoise));
        CheckTimesteps(t, xt);
        return PredictPreviousMeanCore(xt, t, predictedNoise);
    }

    /// <summary>The velocity v = √ᾱ_t ε - √(1-ᾱ_t) x_0 (Salimans &amp; Ho 2022, eq. before §4.1).</summary>
    /// <param name="x0">Clean samples, shape [B, ...].</param>
    /// <param name="noise">ε, same shape.</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <returns>v, a new tensor the caller owns.</returns>
    public Tensor GetVelocity(Tensor x0, Tensor noise, Tensor t)
    {
        CheckSameShape(x0, noise, nameof(noise));
        CheckTimesteps(t, x0);
        using var scope = NewDisposeScope();
        return (Extract(SqrtAlphasCumprod, t, x0) * noise - Extract(SqrtOneMinusAlphasCumprod, t, x0) * x0).MoveToOuterDisposeScope();
    }

    /// <summary>The tensor a network predicting <paramref name="prediction"/> is trained to output: ε, x_0 or v.</summary>
    /// <param name="prediction">The prediction type.</param>
    /// <param name="x0">Clean samples, shape [B, ...].</param>
    /// <param name="noise">The noise ε used to make x_t, same shape.</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <returns>The target, a new tensor handle the caller owns (for ε and x_0 it shares their storage).</returns>
    public Tensor GetTarget(PredictionType prediction, Tensor x0, Tensor noise, Tensor t)
    {
        CheckSameShape(x0, noise, nameof(noise));
        CheckTimesteps(t, x0);
        return TargetCore(prediction, x0, noise, t);
    }

    /// <summary>
    /// Converts a network output of type <paramref name="prediction"/> at (x_t, t) into both the
    /// predicted clean sample x̂_0 and the predicted noise ε̂, using x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (eq. 4)
    /// and, for v, x_0 = √ᾱ_t x_t - √(1-ᾱ_t) v and ε = √(1-ᾱ_t) x_t + √ᾱ_t v.
    /// </summary>
    /// <param name="prediction">What the output is.</param>
    /// <param name="output">The network output, shaped like <paramref name="xt"/>.</param>
    /// <param name="xt">Noisy samples, shape [B, ...].</param>
    /// <param name="t">Per-sample timesteps, int64, shape [B].</param>
    /// <returns>(x̂_0, ε̂), new tensors the caller owns.</returns>
    public (Tensor Start, Tensor Noise) SplitPrediction(PredictionType prediction, Tensor output, Tensor xt, Tensor t)
    {
        CheckSameShape(xt, output, nameof(output));
        CheckTimesteps(t, xt);
        return SplitCore(prediction, output, xt, t);
    }

    /// <summary>Gets the value of a term at one timestep as a double, for inspection and logs.</summary>
    /// <param name="term">One of this scheduler's term tensors, for example <see cref="AlphasCumprod"/>.</param>
    /// <param name="t">A timestep in [0, T - 1].</param>
    /// <returns>The stored (float32) value, widened to double.</returns>
    public double ValueAt(Tensor term, int t)
    {
        ArgumentNullException.ThrowIfNull(term);
        if (Array.IndexOf(_owned, term) < 0)
        {
            throw new ArgumentException("The tensor is not one of this scheduler's terms.", nameof(term));
        }

        if (t < 0 || t >= Timesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, $"The timestep must lie in [0, {Timesteps - 1}].");
        }

        using var scope = NewDisposeScope();
        return term[t].to(ScalarType.Float64).cpu().item<double>();
    }

    /// <summary>Disposes the term tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Tensor tensor in _owned)
        {
            tensor.Dispose();
        }
    }

    internal Tensor AddNoiseCore(Tensor x0, Tensor noise, Tensor t)
    {
        using var scope = NewDisposeScope();
        return (Extract(SqrtAlphasCumprod, t, x0) * x0).Plus(Extract(SqrtOneMinusAlphasCumprod, t, x0) * noise)
            .MoveToOuterDisposeScope();
    }

    internal Tensor PredictPreviousMeanCore(Tensor xt, Tensor t, Tensor predictedNoise)
    {
        using var scope = NewDisposeScope();
        Tensor scaledNoise = Extract(Betas, t, xt) * predictedNoise / Extract(SqrtOneMinusAlphasCumprod, t, xt);
        return (Extract(SqrtRecipAlphas, t, xt) * (xt - scaledNoise)).MoveToOuterDisposeScope();
    }

    internal Tensor TargetCore(PredictionType prediction, Tensor x0, Tensor noise, Tensor t)
    {
        using var scope = NewDisposeScope();
        Tensor target = prediction switch
        {
            PredictionType.Epsilon => noise.alias(),
            PredictionType.Sample => x0.alias(),
            _ => Extract(SqrtAlphasCumprod, t, x0) * noise - Extract(SqrtOneMinusAlphasCumprod, t, x0) * x0,
        };
        return target.MoveToOuterDisposeScope();
    }

    internal (Tensor Start, Tensor Noise) SplitCore(PredictionType prediction, Tensor output, Tensor xt, Tensor t)
    {
        using var scope = NewDisposeScope();
        Tensor a = Extract(SqrtAlphasCumprod, t, xt);
        Tensor b = Extract(SqrtOneMinusAlphasCumprod, t, xt);
        (Tensor start, Tensor noise) = prediction switch
        {
            // x̂_0 = (x_t - √(1-ᾱ) ε̂) / √ᾱ, written with the stored 1/√ᾱ and √(1/ᾱ - 1).
            PredictionType.Epsilon => (Extract(SqrtRecipAlphasCumprod, t, xt) * xt - Extract(SqrtRecipm1AlphasCumprod, t, xt) * output, output.alias()),

            // ε̂ = (x_t - √ᾱ x̂_0) / √(1-ᾱ).
            PredictionType.Sample => (output.alias(), (xt - a * output) / b),
            _ => (a * xt - b * output, (b * xt).Plus(a * output)),
        };
        return (start.MoveToOuterDisposeScope(), noise.MoveToOuterDisposeScope());
    }

    /// <summary>Gathers term[t] per sample and shapes it [B, 1, 1, ...] to broadcast against <paramref name="like"/>.</summary>
    internal static Tensor Extract(Tensor term, Tensor t, Tensor like)
    {
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = t.shape[0];
        Tensor index = t.device == term.device ? t : t.to(term.device);
        return term.index_select(0, index).to(like.dtype).view(shape);
    }

    private Tensor Store(double[] values)
    {
        using var scope = NewDisposeScope();
        return tensor(values, dtype: ScalarType.Float64).to(ScalarType.Float32).to(Device).MoveToOuterDisposeScope();
    }

    private static void CheckSameShape(Tensor reference, Tensor other, string name)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(other);
        if (!reference.shape.SequenceEqual(other.shape))
        {
            throw new ArgumentException(
                $"'{name}' has shape [{string.Join(", ", other.shape)}] but must match the samples' shape [{string.Join(", ", reference.shape)}].", name);
        }
    }

    private void CheckTimesteps(Tensor t, Tensor samples)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(samples);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (samples.dim() < 1)
        {
            throw new ArgumentException("The samples must have a batch dimension, shape [B, ...].", nameof(samples));
        }

        if (t.dim() != 1 || t.shape[0] != samples.shape[0])
        {
            throw new ArgumentException(
                $"The timesteps must be a one-dimensional tensor with one entry per sample (shape [{samples.shape[0]}]), not shape [{string.Join(", ", t.shape)}].", nameof(t));
        }

        if (t.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"The timesteps must be int64 (torch.long), not {t.dtype}.", nameof(t));
        }

        if (t.shape[0] == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        long min = t.min().item<long>();
        long max = t.max().item<long>();
        if (min < 0 || max >= Timesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(t), $"The timesteps range over [{min}, {max}] but must lie in [0, {Timesteps - 1}] for T = {Timesteps}.");
        }
    }
}
