using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Ddpm.Core.Checkpoints;
using Ddpm.Core.Tests.TestSupport;
using FluentAssertions;
using static TorchSharp.torch;

namespace Ddpm.Core.Tests.Checkpoints;

public sealed class CheckpointFileTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Weights_of_another_dtype_are_refused_not_converted()
    {
        string path = _folder.File("typed.ddpm");
        using (DdpmModel model = TinyModels.Untrained())
        {
            model.Save(path);
        }

        using DdpmModel other = TinyModels.Untrained();
        TorchSharp.ModuleExtensionMethods.to(other.Network, TorchSharp.torch.ScalarType.Float64);
        using CheckpointReader reader = CheckpointReader.Open(path);

        var act = () => ModelCheckpoint.LoadInto(reader, other.Network, CheckpointSections.Network);

        act.Should().Throw<CheckpointFormatException>().WithMessage("*the 'network' weights do not fit the network (8 tensor(s) loaded; 70 mis-shaped: time_mlp.1.weight: file Float32 [16, 16], network Float64 [16, 16]*");
    }

    [Fact]
    public void Sections_round_trip_exactly_and_unknown_sections_are_skipped()
    {
        string path = _folder.File("a.ddpm");
        using (Tensor weights = randn(3, 4))
        using (Tensor steps = tensor(new long[] { 7, 8 }))
        using (Tensor empty = zeros(0, 5))
        {
            using var writer = new CheckpointWriter(path);
            writer.AddJson("meta", new JsonObject { ["answer"] = 42 });
            writer.AddTensors("future-section", [new("x", weights)]);
            writer.AddTensors("tensors", [new("w", weights), new("s", steps), new("e", empty)]);
            writer.Commit();

            using CheckpointReader reader = CheckpointReader.Open(path);
            reader.FormatVersion.Should().Be(1);
            reader.SectionNames.Should().BeEquivalentTo("meta", "future-section", "tensors");
            reader.ReadJson("meta")["answer"]!.GetValue<int>().Should().Be(42);
            Dictionary<string, Tensor> read = reader.ReadTensors("tensors");
            read["w"].IsIdenticalTo(weights).Should().BeTrue();
            read["s"].dtype.Should().Be(ScalarType.Int64);
            read["s"].IsIdenticalTo(steps).Should().BeTrue();
            read["e"].shape.Should().Equal(0, 5);
            foreach (Tensor t in read.Values)
            {
                t.Dispose();
            }
        }

        Directory.GetFiles(_folder.Path).Should().Equal(path);
    }

    [Fact]
    public void A_write_that_is_not_committed_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        string path = _folder.File("b.ddpm");
        WriteSimple(path, 1);
        using (var writer = new CheckpointWriter(path))
        {
            writer.AddJson("meta", new JsonObject { ["n"] = 2 });

            // Disposed without Commit: as if the process died mid-write.
        }

        using CheckpointReader reader = CheckpointReader.Open(path);
        reader.ReadJson("meta")["n"]!.GetValue<int>().Should().Be(1);
        Directory.GetFiles(_folder.Path).Should().Equal(path);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(5000)]
    public void A_full_disk_leaves_the_previous_file_intact_and_no_temporary_file(int capacity)
    {
        string path = _folder.File("full.ddpm");
        WriteSimple(path, 1);

        // Like a FileStream on a full disk: writes fail past the capacity, and so does every flush
        // afterwards, including the one when the stream is closed (which once kept the .tmp file).
        var act = () =>
        {
            using var writer = new CheckpointWriter(path, temporary => new FullDiskStream(new FileStream(temporary, FileMode.CreateNew), capacity));
            writer.AddJson("meta", new JsonObject { ["n"] = 2 });
            using Tensor w = zeros(64, 64);
            writer.AddTensors("tensors", [new("w", w)]);
            writer.Commit();
        };

        act.Should().Throw<IOException>().WithMessage("No space left on device*");
        using CheckpointReader reader = CheckpointReader.Open(path);
        reader.ReadJson("meta")["n"]!.GetValue<int>().Should().Be(1);
        Directory.GetFiles(_folder.Path).Should().Equal(path);
    }

    [Fact]
    public void Every_truncation_is_rejected_with_a_clear_message()
    {
        string path = _folder.File("c.ddpm");
        WriteSimple(path, 3);
        byte[] whole = File.ReadAllBytes(path);
        string cut = _folder.File("cut.ddpm");

        for (int length = 0; length < whole.Length; length += Math.Max(1, whole.Length / 97))
        {
            File.WriteAllBytes(cut, whole[..length]);

            var act = () =>
            {
                using CheckpointReader reader = CheckpointReader.Open(cut);
                reader.ReadTensors("tensors").Values.ToList().ForEach(t => t.Dispose());
            };

            act.Should().Throw<CheckpointFormatException>($"a file cut to {length} of {whole.Length} bytes is incomplete")
                .Which.Message.Should().MatchRegex("empty|not a Ddpm.Core checkpoint|truncated|corrupt");
        }
    }

    [Fact]
    public void A_flipped_byte_in_the_data_fails_the_checksum()
    {
        string path = _folder.File("d.ddpm");
        WriteSimple(path, 4);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^20] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        using CheckpointReader reader = CheckpointReader.Open(path);
        var act = () => reader.ReadTensors("tensors");

        act.Should().Throw<CheckpointFormatException>().WithMessage("*'tensors' is corrupt (checksum mismatch)*");
    }

    [Fact]
    public void A_header_claiming_an_enormous_tensor_fails_before_allocating()
    {
        string path = _folder.File("e.ddpm");
        WriteSimple(path, 5);
        byte[] bytes = File.ReadAllBytes(path);

        // The first dimension of tensor "w" (shape [16, 16]) follows its name, type and rank bytes.
        int at = IndexOf(bytes, "w"u8.ToArray()) + 1 + 2;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), 1L << 40);
        File.WriteAllBytes(path, bytes);

        using CheckpointReader reader = CheckpointReader.Open(path);
        // Count this thread's allocations only: other test classes run in parallel and allocate too.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? thrown = Record.Exception(() => reader.ReadTensors("tensors"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        thrown.Should().BeOfType<CheckpointFormatException>()
            .Which.Message.Should().Match("*'w'*claims 17592186044416 elements*truncated or corrupt*");
        allocated.Should().BeLessThan(1 << 20, "a corrupt header must be rejected before any buffer is sized from it");
    }

    [Fact]
    public void An_empty_tensor_with_an_enormous_dimension_is_refused_before_libtorch_sees_it()
    {
        string path = _folder.File("z.ddpm");
        using (Tensor empty = zeros(0, 1, 1))
        using (var writer = new CheckpointWriter(path))
        {
            writer.AddTensors("tensors", [new("w", empty)]);
            writer.Commit();
        }

        // Shape [0, 2^40, 2^40]: no elements, so no bytes are claimed, but libtorch's strides overflow
        // (found by ddpm-benchmarks fuzz: a native "Stride calculation overflowed" escaped).
        byte[] bytes = File.ReadAllBytes(path);
        int at = IndexOf(bytes, "w"u8.ToArray()) + 1 + 2;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), 1L << 40);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 16), 1L << 40);
        File.WriteAllBytes(path, bytes);

        using CheckpointReader reader = CheckpointReader.Open(path);
        var act = () => reader.ReadTensors("tensors");

        act.Should().Throw<CheckpointFormatException>().WithMessage("*'w'*empty shape [0, 1099511627776, 1099511627776]*corrupt*");
    }

    [Theory]
    [InlineData(new byte[0], "*empty*")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "*not a Ddpm.Core checkpoint*")]
    public void Files_that_are_not_checkpoints_are_rejected(byte[] content, string message)
    {
        string path = _folder.File("f.ddpm");
        File.WriteAllBytes(path, content);

        var act = () => CheckpointReader.Open(path);

        act.Should().Throw<CheckpointFormatException>().WithMessage(message);
    }

    [Fact]
    public void A_newer_format_version_is_rejected_with_advice()
    {
        string path = _folder.File("g.ddpm");
        WriteSimple(path, 6);
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 99);
        File.WriteAllBytes(path, bytes);

        var act = () => CheckpointReader.Open(path);

        act.Should().Throw<CheckpointFormatException>().WithMessage("*format version 99*reads versions 1 to 1; update Ddpm.Core*");
    }

    [Fact]
    public void A_missing_section_is_named()
    {
        string path = _folder.File("h.ddpm");
        WriteSimple(path, 7);
        using CheckpointReader reader = CheckpointReader.Open(path);

        var act = () => reader.ReadTensors("optimizer");

        act.Should().Throw<CheckpointFormatException>().WithMessage("*section 'optimizer' is missing*");
    }

    private static void WriteSimple(string path, int n)
    {
        using Tensor w = full(new long[] { 16, 16 }, (float)n);
        using var writer = new CheckpointWriter(path);
        writer.AddJson("meta", new JsonObject { ["n"] = n });
        writer.AddTensors("tensors", [new("w", w)]);
        writer.Commit();
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        // The tensor name is preceded by its u16 length; search for length + name to avoid false hits.
        byte[] pattern = [(byte)needle.Length, 0, .. needle];
        for (int i = 0; i + pattern.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, pattern.Length).SequenceEqual(pattern) && haystack[i + pattern.Length] == 1)
            {
                return i + 2;
            }
        }

        throw new InvalidOperationException("pattern not found: " + Encoding.UTF8.GetString(needle));
    }

    /// <summary>A wrapper that, like a full disk, fails the write that passes <c>capacity</c> bytes and every flush after it.</summary>
    private sealed class FullDiskStream(Stream inner, long capacity) : Stream
    {
        private long _written;
        private bool _full;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position
        {
            get => _written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > capacity)
            {
                // A buffered FileStream keeps the bytes it could not write and tries them again on every flush.
                _full = true;
                throw new IOException("No space left on device");
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Flush()
        {
            if (_full)
            {
                throw new IOException("No space left on device");
            }

            inner.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            try
            {
                if (disposing)
                {
                    // Closing flushes first, as FileStream does.
                    Flush();
                }
            }
            finally
            {
                inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
