using System.IO.Compression;
using System.Text;
using Ddpm.Core.Interop;
using Ddpm.Core.Models;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Interop;

[Collection(TensorLeakCollection.Name)]
public sealed class PyTorchInteropTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static SimpleUNetConfiguration Small => new() { ImageChannels = 3, DownChannels = [8, 16, 32, 64, 128], TimeEmbeddingDim = 32 };

    [Fact]
    public void The_notebooks_torch_save_file_loads_into_SimpleUNet_and_reproduces_PyTorchs_output()
    {
        using var scope = NewDisposeScope();
        using StateDict saved = PyTorchStateDict.Read(Fixtures.PathOf("simple_unet_small.pt"));
        using StateDict reference = SafeTensors.Read(Fixtures.PathOf("simple_unet_small.safetensors"));
        SimpleUNetConfiguration inferred = SimpleUNetConfiguration.FromStateDict(saved);
        using var network = new SimpleUNet(inferred);

        StateDictReport report = StateDictLoader.Load(network, saved);

        inferred.ToString().Should().Be(Small.ToString(), "the configuration is read off the shapes");
        report.IsExact.Should().BeTrue(report.ToString());
        report.Loaded.Should().HaveCount(network.state_dict().Count);
        saved.Keys.Should().Equal(reference.Keys.Where(k => k.StartsWith("model.", StringComparison.Ordinal)).Select(k => k["model.".Length..]), "torch.save keeps the state_dict's order");
        foreach ((string name, Tensor tensor) in saved)
        {
            tensor.equal(reference[$"model.{name}"]).all().item<bool>().Should().BeTrue($"{name} must be read bit for bit");
        }

        network.eval();
        using var noGrad = no_grad();
        Tensor output = network.call(reference["input.x"], reference["input.t"]);
        output.ShouldMatchReference(reference["output.eval"], ReferenceTolerance.SimpleUNetOutputs, "the network loaded from torch.save against PyTorch's eval output");
    }

    [Fact]
    public void The_full_size_notebook_configuration_is_read_off_its_shapes_and_anything_else_is_refused()
    {
        using var scope = NewDisposeScope();
        using var notebook = new SimpleUNet(new SimpleUNetConfiguration());
        var shapes = notebook.state_dict();

        SimpleUNetConfiguration.FromStateDict(shapes).ToString().Should().Be(new SimpleUNetConfiguration().ToString());
        var other = () => SimpleUNetConfiguration.FromStateDict(new Dictionary<string, Tensor> { ["fc.weight"] = zeros(2, 2) });
        other.Should().Throw<InvalidDataException>().WithMessage("*not a SimpleUNet's: 'conv0.weight' is missing*");
    }

    [Fact]
    public void A_state_dict_we_write_reads_back_exactly_in_the_zip_layout_torch_load_expects()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network = new SimpleUNet(Small);
        string path = Path.Combine(_folder.Path, "exported.pt");

        PyTorchStateDict.Write(path, network.state_dict());
        using StateDict back = PyTorchStateDict.Read(path);

        back.Keys.Should().Equal(network.state_dict().Keys);
        foreach ((string name, Tensor tensor) in network.state_dict())
        {
            back[name].dtype.Should().Be(tensor.dtype);
            back[name].equal(tensor).all().item<bool>().Should().BeTrue(name);
        }

        using ZipArchive zip = ZipFile.OpenRead(path);
        zip.Entries.Select(e => e.FullName).Should().StartWith("archive/data.pkl").And.Contain(["archive/version", "archive/byteorder", "archive/data/0"]);
        zip.Entries.Should().OnlyContain(e => e.CompressedLength == e.Length, "torch.load reads the stored (uncompressed) records");
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("__main__", "SimpleUnet")]
    public void A_pickle_that_names_any_other_Python_object_is_refused_and_nothing_runs(string module, string name)
    {
        // What torch.save(model) (a whole pickled model) or a malicious file holds: a global outside the
        // state_dict subset, called with REDUCE.
        byte[] pickle = [0x80, 2, (byte)'c', .. Encoding.ASCII.GetBytes($"{module}\n{name}\n"), (byte)'(', (byte)'X', 4, 0, 0, 0, .. "echo"u8, (byte)'t', (byte)'R', (byte)'.'];
        string path = WriteArchive("evil.pt", pickle);

        var act = () => PyTorchStateDict.Read(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"*evil.pt*refers to the Python object '{module}.{name}'*nothing in the file is executed*");
    }

    [Fact]
    public void Files_that_are_not_state_dicts_are_refused_with_advice()
    {
        string notZip = Path.Combine(_folder.Path, "legacy.pt");
        File.WriteAllBytes(notZip, [0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.']);
        string nested = WriteArchive("checkpoint.pt", [0x80, 2, (byte)'}', (byte)'X', 5, 0, 0, 0, .. "model"u8, (byte)'}', (byte)'s', (byte)'.']);
        string list = WriteArchive("list.pt", [0x80, 2, (byte)']', (byte)'.']);

        FluentActions.Invoking(() => PyTorchStateDict.Read(notZip)).Should().Throw<InvalidDataException>().WithMessage("*not a zip archive*torch.save*");
        FluentActions.Invoking(() => PyTorchStateDict.Read(nested)).Should().Throw<InvalidDataException>().WithMessage("*entry 'model' is a dict, not a tensor: save model.state_dict() itself*");
        FluentActions.Invoking(() => PyTorchStateDict.Read(list)).Should().Throw<InvalidDataException>().WithMessage("*not a dict; save model.state_dict()*");
        FluentActions.Invoking(() => PyTorchStateDict.Read(Path.Combine(_folder.Path, "none.pt"))).Should().Throw<FileNotFoundException>();
    }

    /// <summary>The pickle of one float tensor [1], a view of storage 0, as torch.save writes it.</summary>
    private static readonly byte[] OneFloatTensor =
    [
        (byte)'c', .. "torch._utils\n_rebuild_tensor_v2\n"u8, (byte)'(',
        (byte)'(', (byte)'X', 7, 0, 0, 0, .. "storage"u8, (byte)'c', .. "torch\nFloatStorage\n"u8, (byte)'X', 1, 0, 0, 0, (byte)'0', (byte)'X', 3, 0, 0, 0, .. "cpu"u8, (byte)'K', 1, (byte)'t', (byte)'Q',
        (byte)'K', 0, (byte)'(', (byte)'K', 1, (byte)'t', (byte)'(', (byte)'K', 1, (byte)'t', 0x89, (byte)'c', .. "collections\nOrderedDict\n"u8, (byte)')', (byte)'R', (byte)'t', (byte)'R',
    ];

    [Fact]
    public void A_refused_file_leaves_no_tensor_behind()
    {
        // {"model": {"w": tensor}}: a training checkpoint's shape, refused after the tensor was built.
        byte[] pickle = [0x80, 2, (byte)'}', (byte)'X', 5, 0, 0, 0, .. "model"u8, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w', .. OneFloatTensor, (byte)'s', (byte)'s', (byte)'.'];
        string path = WriteArchive("nested.pt", pickle, ("archive/data/0", [0, 0, 128, 63]));
        long before = LiveTensors.Settle();

        var act = () => PyTorchStateDict.Read(path);

        act.Should().Throw<InvalidDataException>().WithMessage("*entry 'model' is a dict*");
        Tensor.TotalCount.Should().Be(before, "the storage and the tensor built from it are disposed when the file is refused");
    }

    [Fact]
    public void A_name_that_appears_twice_is_refused_when_reading_and_when_writing()
    {
        // {"w": tensor, "w": tensor}, both views of storage 0 (one float).
        byte[] tensor = OneFloatTensor;
        byte[] pickle = [0x80, 2, (byte)'}', (byte)'(', (byte)'X', 1, 0, 0, 0, (byte)'w', .. tensor, (byte)'X', 1, 0, 0, 0, (byte)'w', .. tensor, (byte)'u', (byte)'.'];
        string path = WriteArchive("twice.pt", pickle, ("archive/data/0", [0, 0, 128, 63]));

        var read = () => PyTorchStateDict.Read(path);
        using Tensor one = ones(1);
        var write = () => PyTorchStateDict.Write(Path.Combine(_folder.Path, "out.pt"), [new("w", one), new("w", one)]);

        read.Should().Throw<InvalidDataException>().WithMessage("*names the tensor 'w' twice*");
        write.Should().Throw<ArgumentException>().WithMessage("*used twice*");
    }

    [Fact]
    public void A_storage_shorter_than_its_tensor_is_refused_before_reading()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(_folder.Path, "short.pt");
        PyTorchStateDict.Write(path, [new("w", ones(4, 4))]);
        string copy = Path.Combine(_folder.Path, "short-copy.pt");
        using (ZipArchive source = ZipFile.OpenRead(path))
        using (var target = ZipFile.Open(copy, ZipArchiveMode.Create))
        {
            foreach (ZipArchiveEntry entry in source.Entries)
            {
                using Stream from = entry.Open();
                using var buffer = new MemoryStream();
                from.CopyTo(buffer);
                byte[] bytes = entry.FullName.EndsWith("/data/0", StringComparison.Ordinal) ? buffer.ToArray()[..40] : buffer.ToArray();
                using Stream to = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                to.Write(bytes);
            }
        }

        var act = () => PyTorchStateDict.Read(copy);

        act.Should().Throw<InvalidDataException>().WithMessage("*data/0 holds 40 bytes, but the pickle says 16 elements of Float32*");
    }

    private string WriteArchive(string name, byte[] pickle, params (string Name, byte[] Content)[] records)
    {
        string path = Path.Combine(_folder.Path, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach ((string entry, byte[] content) in records.Prepend(("archive/data.pkl", pickle)))
        {
            using Stream stream = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            stream.Write(content);
        }

        return path;
    }
}
