using Ddpm.Core.Sampling.Methods;

namespace Ddpm.Core.Sampling;

/// <summary>Options for <see cref="DdpmSampler"/>. <see cref="DdpmSamplerOptionsValidator"/> checks every value.</summary>
public sealed class DdpmSamplerOptions
{
    /// <summary>Gets or sets the device to sample on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; null uses the model's device. The model must already live there.</summary>
    /// <value>The default value is null.</value>
    public string? Device { get; set; }

    /// <summary>
    /// Gets or sets how many CPU threads libtorch's operators use while <see cref="DdpmSampler.Sample"/> runs
    /// (torch.set_num_threads: process-wide, and put back when Sample returns); null uses every logical core,
    /// except for the preview samples of a training run, which keep <see cref="Training.DdpmTrainerOptions.Threads"/>.
    /// </summary>
    /// <value>The default value is null (<see cref="Environment.ProcessorCount"/> threads). Valid values: null or 1 to 1024.</value>
    public int? Threads { get; set; }

    /// <summary>
    /// Gets or sets which CPU kernels libtorch runs convolutions with (process-wide). Before the first CPU
    /// sampling step, <see cref="Kernels.CpuKernels.Ensure"/> checks them numerically against float64 and, on
    /// <see cref="Kernels.CpuKernelPath.Auto"/>, falls back to the fastest path that passes (LibTorch 2.10's
    /// oneDNN miscomputes on CPUs that hide their cache topology); a forced path is checked too, and refused
    /// if it fails. Ignored on CUDA.
    /// </summary>
    /// <value>The default value is <see cref="Kernels.CpuKernelPath.Auto"/> (the <c>DDPM_CPU_KERNELS</c> environment variable when set, else an automatic choice). Valid values: any <see cref="Kernels.CpuKernelPath"/>.</value>
    public Kernels.CpuKernelPath CpuKernels { get; set; }

    /// <summary>Gets or sets the seed of the sampling noise; the same seed, model and count give the same images on the CPU. Null draws one at random.</summary>
    /// <value>The default value is null. Valid values: null or any non-negative integer.</value>
    public int? Seed { get; set; }

    /// <summary>Gets or sets how many images are denoised at once; a request for more runs in several batches.</summary>
    /// <value>The default value is 64. Valid values: 1 to 65,536.</value>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Gets or sets the reverse process; null follows the model (<see cref="SamplingDefaults.Method"/>): DDPM for the
    /// notebook's SimpleUNet, DPM-Solver++(2M) otherwise. Cost: one network call per step (Heun two), so DDPM through
    /// all T = 1,000 timesteps takes 50 times as long as DPM-Solver++(2M) in its default 20 steps.
    /// </summary>
    /// <value>The default value is null (follow the model). Valid values: null or any defined <see cref="SamplingMethod"/>; null when <see cref="CustomMethod"/> is set.</value>
    public SamplingMethod? Method { get; set; }

    /// <summary>
    /// Gets or sets a reverse-process method object, your own or a built-in one with settings <see cref="Method"/> has
    /// no option for (for example <c>new DpmSolverPlusPlus2MMethod(lowerOrderFinal: false)</c>); it replaces
    /// <see cref="Method"/>, which must then be null. Set it in code: configuration cannot build it.
    /// </summary>
    /// <value>The default value is null (use <see cref="Method"/>).</value>
    public Methods.ISamplingMethod? CustomMethod { get; set; }

    /// <summary>Gets or sets the number of sampling steps S; null takes the method's own default, at most T (<see cref="Methods.ISamplingMethod.DefaultSteps"/>: T for DDPM, 50 for DDIM, 20 for DPM-Solver++(2M) and Heun, 30 for Euler and Euler ancestral). Time grows linearly with S.</summary>
    /// <value>The default value is null. Valid values: null or 1 to the model's T.</value>
    public int? Steps { get; set; }

    /// <summary>Gets or sets how the S sampling timesteps are chosen among the T training ones (irrelevant when S = T).</summary>
    /// <value>The default value is <see cref="TimestepSpacing.Trailing"/>, which starts at the pure-noise step T-1 (Lin et al. 2024).</value>
    public TimestepSpacing Spacing { get; set; } = TimestepSpacing.Trailing;

    /// <summary>Gets or sets DDIM's η: the fraction of the DDPM posterior noise added each step (0: deterministic; 1: DDPM's variance).</summary>
    /// <value>The default value is 0. Valid values: 0 to 1. Used by <see cref="SamplingMethod.Ddim"/>, and by <see cref="SamplingMethod.EulerAncestral"/> when above 0 (else 1).</value>
    public double Eta { get; set; }

    /// <summary>Gets or sets the variance of DDPM steps.</summary>
    /// <value>The default value is <see cref="VarianceType.FixedSmall"/> (the notebook). Used only with <see cref="SamplingMethod.Ddpm"/>.</value>
    public VarianceType Variance { get; set; } = VarianceType.FixedSmall;

    /// <summary>Gets or sets whether the predicted x̂_0 is clipped to [-1, 1] before each step; null follows the model (<see cref="SamplingDefaults.ClipPredictedSample"/>: every network but the notebook's, and never with <see cref="DynamicThresholdingPercentile"/>).</summary>
    /// <value>The default value is null (follow the model).</value>
    public bool? ClipPredictedSample { get; set; }

    /// <summary>
    /// Gets or sets the percentile of dynamic thresholding (Saharia et al. 2022, §2.3): each step, s is that
    /// percentile of |x̂_0| per sample, at least 1, and x̂_0 is clamped to [-s, s] and divided by s; null switches it off.
    /// </summary>
    /// <value>The default value is null. Valid values: null or (0, 1), typically 0.995.</value>
    public double? DynamicThresholdingPercentile { get; set; }

    /// <summary>Gets or sets the classes to draw from a class-conditional model, assigned to the images in turn (image i gets Classes[i mod Count]); null draws unconditionally.</summary>
    /// <value>The default value is null. Valid values: labels in [0, the model's class count).</value>
    public IReadOnlyList<int>? Classes { get; set; }

    /// <summary>
    /// Gets or sets the classifier-free guidance scale w (Ho &amp; Salimans 2022): the prediction used is
    /// unconditional + w · (conditional - unconditional). 1 uses the conditional prediction alone (one network
    /// call per step); larger values follow the class more closely at some cost in diversity.
    /// </summary>
    /// <value>The default value is 1. Valid values: 0 to 100. Used only with <see cref="Classes"/>.</value>
    public double GuidanceScale { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether x_{t-1} is clamped to [-1, 1] after every step, as the notebook does; null follows the
    /// path (<see cref="SamplingDefaults.ClampEachStep(DdpmModel, Methods.ISamplingMethod)"/>: only the notebook's network with DDPM). Clamping x_t
    /// suits that path; with DDIM or an x₀/v model it clips the unit-variance x_t of early steps. The returned
    /// images are clamped either way.
    /// </summary>
    /// <value>The default value is null (follow the path).</value>
    public bool? ClampEachStep { get; set; }

    /// <summary>Gets or sets which weights to sample with.</summary>
    /// <value>The default value is <see cref="ModelWeights.Ema"/>: the moving average when the model has one.</value>
    public ModelWeights Weights { get; set; } = ModelWeights.Ema;

    /// <summary>Gets or sets which statistics BatchNorm layers use; null follows the model (<see cref="SamplingDefaults.BatchNormMode"/>: batch statistics for the notebook's SimpleUNet, eval mode otherwise). The model's own state never changes.</summary>
    /// <value>The default value is null (follow the model).</value>
    public BatchNormMode? BatchNormMode { get; set; }

    /// <summary>A copy that later changes to this instance (or to its class list) do not reach.</summary>
    internal DdpmSamplerOptions Snapshot()
    {
        var copy = (DdpmSamplerOptions)MemberwiseClone();
        copy.Classes = Classes?.ToArray();
        return copy;
    }
}
