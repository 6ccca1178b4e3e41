namespace Ddpm.Core.Training;

/// <summary>The number format the training step computes in.</summary>
public enum TrainingPrecision
{
    /// <summary>32-bit floating point throughout.</summary>
    Float32 = 0,

    /// <summary>
    /// Mixed precision: the forward and backward passes run in bfloat16 on a copy of the network
    /// (normalisation layers stay in float32), while the weights the optimiser updates, its state, the
    /// EMA, the loss and every checkpoint stay in float32. TorchSharp has no autocast, so the trainer
    /// keeps that copy itself: before each step it copies the float32 weights into it, and after the
    /// backward pass it copies the gradients back. Fastest on CPUs with AVX-512 BF16 or AMX and on
    /// GPUs from NVIDIA Ampere on; elsewhere bfloat16 may be slower than float32.
    /// </summary>
    BFloat16 = 1,

    /// <summary>
    /// <see cref="BFloat16"/> where it is both fast and right, <see cref="Float32"/> elsewhere: bfloat16 on a CPU with
    /// native bfloat16 instructions (AVX-512 BF16 or AMX) whose oneDNN kernels run at that instruction set and pass the
    /// bfloat16 kernel check; float32 on other CPUs, on CUDA (not yet measured there) and for a network passed to Fit.
    /// <see cref="TrainingPrecisionChoice.Make"/> decides, and the training log says which and why.
    /// </summary>
    Auto = 2,
}
