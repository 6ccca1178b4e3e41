using Ddpm.Core.Data;
using Ddpm.Core.Kernels;
using Ddpm.Core.Models;
using Ddpm.Core.Sampling;
using Ddpm.Core.Tests.TestSupport;
using Ddpm.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Kernels;

/// <summary>The trainer and the sampler put their CpuKernels option into effect before their first CPU step.</summary>
[Collection(TensorLeakCollection.Name)]
public sealed class KernelHookTests
{
    [Fact]
    public void The_sampler_applies_and_checks_its_path_before_sampling()
    {
        CpuKernelSelection before = CpuKernels.Ensure();
        using DdpmModel model = TinyModels.Untrained(timesteps: 5);
        try
        {
            using Tensor images = new DdpmSampler(new DdpmSamplerOptions { CpuKernels = CpuKernelPath.OneDnnOff, Seed = 1 }).Sample(model, 2);

            CpuKernels.Current!.Path.Should().Be(CpuKernelPath.OneDnnOff);
            // A suite run with DDPM_CPU_KERNELS=onednn-off is on that path already: it is kept, with the reason it was chosen for.
            CpuKernels.Current.Reason.Should().Be(before.Path == CpuKernelPath.OneDnnOff ? before.Reason : "onednn-off was asked for.");
        }
        finally
        {
            CpuKernels.Ensure(before.Path);
        }
    }

    [Fact]
    public void The_trainer_applies_and_checks_its_path_with_the_bfloat16_cases_before_training()
    {
        CpuKernelPath before = CpuKernels.Ensure().Path;
        using Tensor images = SyntheticImages.Squares(16, 1, 8);
        try
        {
            using DdpmModel model = new DdpmTrainer(new DdpmTrainerOptions
            {
                Network = UNetPresets.Tiny(1),
                MaxSteps = 1,
                BatchSize = 8,
                Timesteps = 10,
                Precision = TrainingPrecision.BFloat16,
                CpuKernels = CpuKernelPath.OneDnnOff,
                Seed = 1,
            }).Fit(new InMemoryImageDataset(images));

            CpuKernels.Current!.Path.Should().Be(CpuKernelPath.OneDnnOff);
            CpuKernels.Current.BFloat16Checked.Should().BeTrue();
        }
        finally
        {
            CpuKernels.Ensure(before);
        }
    }
}
