using Ddpm.Core.Interop;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Interop;

[Collection(TensorLeakCollection.Name)]
public sealed class StateDictTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Disposing_a_read_state_dict_frees_every_tensor_and_Take_hands_one_over()
    {
        string path = _folder.File("w.safetensors");
        using (Tensor a = ones(3, 4), b = zeros(5), c = full(2, 2, 7f))
        {
            SafeTensors.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c });
        }

        long before = LiveTensors.Settle();
        Tensor taken;
        using (StateDict weights = SafeTensors.Read(path))
        {
            weights.Keys.Should().Equal("a", "b", "c");
            (Tensor.TotalCount - before).Should().Be(3);
            taken = weights.Take("c");
            weights.ContainsKey("c").Should().BeFalse();
            weights.Count.Should().Be(2);
            var missing = () => weights["nope"];
            missing.Should().Throw<KeyNotFoundException>().WithMessage("*no tensor named 'nope'*");
        }

        (Tensor.TotalCount - before).Should().Be(1, "the using freed the two tensors it still owned");
        using (Tensor sum = taken.sum())
        {
            sum.item<float>().Should().Be(28f, "the taken tensor stays alive and readable");
        }

        taken.Dispose();
        (Tensor.TotalCount - before).Should().Be(0);
    }
}
