using System.Buffers.Binary;
using System.Text;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Interop;

[Collection(TensorLeakCollection.Name)]
public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_dtype_shape_and_the_metadata_round_trip_exactly()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f64"] = randn(2, dtype: ScalarType.Float64),
            ["bf16"] = randn(5).to(ScalarType.BFloat16),
            ["f16"] = randn(1, 2, 3).to(ScalarType.Float16),
            ["i64"] = tensor(new long[] { long.MinValue, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { -7, 7 }),
            ["u8"] = tensor(new byte[] { 0, 255 }),
            ["bool"] = tensor(new[] { true, false }),
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 3),
            ["strided"] = randn(4, 6).t(),
        };
        string path = Path.Combine(_folder.Path, "all.safetensors");

        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["source"] = "Ddpm.Core" });
        using StateDict back = SafeTensors.Read(path, out IReadOnlyDictionary<string, string> metadata);

        back.Keys.Should().Equal(tensors.Keys);
        foreach ((string name, Tensor original) in tensors)
        {
            back[name].dtype.Should().Be(original.dtype, name);
            back[name].shape.Should().Equal(original.shape, name);
            back[name].equal(original).all().item<bool>().Should().BeTrue(name);
        }

        metadata.Should().Contain("format", "pt").And.Contain("source", "Ddpm.Core");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(System.IO.File.ReadAllBytes(path));
        (headerLength % 8).Should().Be(0, "the data starts 8-byte aligned, as the format recommends");
    }

    [Fact]
    public void A_stream_reads_like_the_file_even_from_an_offset_and_an_unseekable_one_is_refused()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(_folder.Path, "stream.safetensors");
        SafeTensors.Write(path, [new("a", arange(6, dtype: ScalarType.Float32).reshape(2, 3)), new("b", tensor(new long[] { 7, 8 }))], new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        using var stream = new MemoryStream([.. new byte[5], .. bytes]);
        stream.Position = 5;

        using StateDict read = SafeTensors.Read(stream, "in-memory", out IReadOnlyDictionary<string, string> metadata);

        read.Keys.Should().Equal("a", "b");
        read["a"].data<float>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        read["b"].data<long>().ToArray().Should().Equal(7, 8);
        metadata.Should().Contain("k", "v");
        using var unseekable = new UnseekableStream(bytes);
        var act = () => SafeTensors.Read(unseekable, "pipe", out _);
        act.Should().Throw<ArgumentException>().WithMessage("Reading safetensors from 'pipe' needs a readable, seekable stream*");
        using var truncated = new MemoryStream(bytes[..20]);
        var broken = () => SafeTensors.Read(truncated, "cut.safetensors", out _);
        broken.Should().Throw<InvalidDataException>().WithMessage("*cut.safetensors*");
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public void The_reference_scripts_files_read_with_their_names_shapes_and_metadata()
    {
        using var scope = NewDisposeScope();
        using StateDict schedule = SafeTensors.Read(Fixtures.PathOf("schedule_t300.safetensors"), out IReadOnlyDictionary<string, string> metadata);

        schedule.Keys.Should().BeEquivalentTo(
            ["betas", "alphas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_recip_alphas", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod", "posterior_variance"]);
        schedule.Values.Should().OnlyContain(t => t.dtype == ScalarType.Float32 && t.shape.SequenceEqual(new long[] { 300 }));
        schedule["betas"][0].item<float>().Should().Be(1e-4f);
        metadata.Should().NotBeEmpty("the script records its generator and torch version");
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "short", "*shorter than the 8-byte header length*" },
        { "huge-header", "*header length, 18446744073709551615 bytes, does not fit*" },
        { "not-json", "*header is not valid JSON*" },
        { "past-end", "*claims bytes [0, 4000]*truncated or corrupt*" },
        { "wrong-size", "*claims bytes [0, 12] for 4 elements of F32*" },
        { "dtype", "*dtype 'Q7'*" },
        { "negative", "*shape [-1, 4]*" },
        { "no-shape", "*lacks a proper dtype, shape or data_offsets*" },
        { "bad-utf8", "*header holds invalid text*" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_files_are_refused_naming_the_problem(string kind, string message)
    {
        string path = Path.Combine(_folder.Path, $"{kind}.safetensors");
        byte[] content = kind switch
        {
            "short" => [1, 2, 3],
            "huge-header" => [.. BitConverter.GetBytes(ulong.MaxValue), .. "{}"u8],
            "not-json" => File(Encoding.UTF8.GetBytes("{\"a\": ")),
            "past-end" => File(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1000],\"data_offsets\":[0,4000]}}"), 16),
            "wrong-size" => File(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}"), 16),
            "dtype" => File(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"Q7\",\"shape\":[4],\"data_offsets\":[0,16]}}"), 16),
            "negative" => File(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,16]}}"), 16),
            "bad-utf8" => File([.. "{\""u8, 0xC3, 0x28, .. "\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"u8], 16),
            _ => File(Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}"), 16),
        };
        System.IO.File.WriteAllBytes(path, content);

        var act = () => SafeTensors.Read(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"'{path}' is not a readable safetensors file: {message}");
    }

    [Fact]
    public void The_loader_reports_missing_unexpected_and_mis_shaped_names_and_strict_loads_nothing()
    {
        using var scope = NewDisposeScope();
        using var network = new SimpleUNet(new SimpleUNetConfiguration { ImageChannels = 1, DownChannels = [4, 8], TimeEmbeddingDim = 8 });
        var weights = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone() + 1);
        weights.Remove("output.bias");
        weights["extra.weight"] = zeros(3);
        weights["conv0.weight"] = zeros(4, 3, 3, 3);
        Tensor before = network.state_dict()["time_mlp.1.weight"].clone();

        var strict = () => StateDictLoader.Load(network, weights);
        StateDictReport lenient = null!;

        strict.Should().Throw<InvalidDataException>().WithMessage("*1 missing: output.bias; 1 unexpected: extra.weight; 1 mis-shaped: conv0.weight: file Float32 [4, 3, 3, 3], network Float32 [4, 1, 3, 3]*strict: false*");
        network.state_dict()["time_mlp.1.weight"].equal(before).all().item<bool>().Should().BeTrue("a strict load that fails copies nothing");

        lenient = StateDictLoader.Load(network, weights, strict: false);
        lenient.IsExact.Should().BeFalse();
        lenient.Missing.Should().Equal("output.bias");
        lenient.Unexpected.Should().Equal("extra.weight");
        lenient.Loaded.Should().HaveCount(network.state_dict().Count - 2);
        network.state_dict()["time_mlp.1.weight"].equal(before + 1).all().item<bool>().Should().BeTrue("what fits is copied");
    }

    private static byte[] File(byte[] header, int dataBytes = 0) =>
        [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[dataBytes]];
}
