using Ddpm.Core.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace Ddpm.Core.Training;

/// <summary>The training objective: a distance between predicted and true noise, optionally min-SNR-γ weighted.</summary>
internal static class TrainingLoss
{
    public static Tensor Compute(DdpmTrainerOptions options, Tensor predicted, Tensor target, Tensor t, NoiseScheduler scheduler)
    {
        if (options.MinSnrGamma is not double gamma)
        {
            return Distance(options, predicted, target, nn.Reduction.Mean);
        }

        // Per-sample loss weighted by min(SNR(t), γ) divided by what makes each target comparable to
        // x_0-prediction, SNR(t) = ᾱ_t / (1 - ᾱ_t) (Hang et al. 2023, §3.4): ε: /SNR; x_0: /1; v: /(SNR + 1).
        // A pure-noise step (SNR = 0, the last step of a zero-terminal-SNR schedule) would get weight 0 (or 0/0),
        // so the step that trailing sampling starts from would never be trained; it gets weight 1, as
        // diffusers' SDXL training scripts give it.
        Tensor perSample = Distance(options, predicted, target, nn.Reduction.None).flatten(1).mean([1]);
        Tensor alphaBar = scheduler.AlphasCumprod.index_select(0, t);
        Tensor snr = alphaBar / alphaBar.SubtractedFrom(1);
        Tensor clipped = snr.ClampMax(gamma);
        Tensor weight = options.Prediction switch
        {
            PredictionType.Epsilon => clipped / snr,
            PredictionType.Sample => clipped,
            _ => clipped / snr.Plus(1),
        };
        weight = where(snr.EqualTo(0), ones_like(weight), weight);
        return (perSample * weight).mean();
    }

    private static Tensor Distance(DdpmTrainerOptions options, Tensor predicted, Tensor target, nn.Reduction reduction) => options.Loss switch
    {
        LossType.L1 => nn.functional.l1_loss(predicted, target, reduction),
        LossType.L2 => nn.functional.mse_loss(predicted, target, reduction),
        _ => nn.functional.huber_loss(predicted, target, options.HuberDelta, reduction),
    };
}
