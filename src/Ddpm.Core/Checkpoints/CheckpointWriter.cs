using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Ddpm.Core.Checkpoints;

/// <summary>
/// Writes a checkpoint atomically: everything goes to a temporary file beside the target, which is
/// flushed to disk and then renamed over the target by <see cref="Commit"/>. A crash or kill at any
/// moment leaves either the old file or the new one, never a partial one.
/// </summary>
internal sealed class CheckpointWriter : IDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly Stream _stream;
    private int _sections;
    private bool _committed;

    public CheckpointWriter(string path)
        : this(path, temporary => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
    {
    }

    /// <summary>Writes through a stream opened on the temporary file by <paramref name="open"/> (tests use it to simulate a full disk).</summary>
    internal CheckpointWriter(string path, Func<string, Stream> open)
    {
        _path = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(folder);
        _temporary = Path.Combine(folder, $".{Path.GetFileName(_path)}.{Guid.NewGuid():N}.tmp");
        _stream = open(_temporary);
        _stream.Write(CheckpointLayout.FileMagic);
        WriteUInt32(CheckpointLayout.Version);
        WriteUInt32(0);
    }

    public void AddJson(string name, JsonNode value)
    {
        byte[] payload = Encoding.UTF8.GetBytes(value.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        BeginSection(name, SectionKind.Json, payload.Length);
        _stream.Write(payload);
        WriteUInt32(Crc32.HashToUInt32(payload));
    }

    public void AddTensors(string name, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var entries = new List<(byte[] Name, Tensor Tensor)>();
        using var scope = NewDisposeScope();
        long length = 4;
        foreach ((string key, Tensor tensor) in tensors)
        {
            byte[] encoded = Encoding.UTF8.GetBytes(key);
            Tensor contiguous = tensor.detach().cpu().contiguous();
            CheckpointLayout.DtypeCode(contiguous.dtype);
            entries.Add((encoded, contiguous));
            length += 2 + encoded.Length + 1 + 1 + (8 * contiguous.dim()) + (contiguous.numel() * contiguous.element_size());
        }

        BeginSection(name, SectionKind.Tensors, length);
        var crc = new Crc32();
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)entries.Count);
        Write(header, crc);
        foreach ((byte[] key, Tensor tensor) in entries)
        {
            var meta = new byte[2 + key.Length + 2 + (8 * tensor.dim())];
            BinaryPrimitives.WriteUInt16LittleEndian(meta, (ushort)key.Length);
            key.CopyTo(meta, 2);
            meta[2 + key.Length] = CheckpointLayout.DtypeCode(tensor.dtype);
            meta[3 + key.Length] = (byte)tensor.dim();
            for (int d = 0; d < tensor.dim(); d++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(meta.AsSpan(4 + key.Length + (8 * d)), tensor.shape[d]);
            }

            Write(meta, crc);
            if (tensor.numel() > 0)
            {
                Write(tensor.bytes, crc);
            }
        }

        WriteUInt32(crc.GetCurrentHashAsUInt32());
    }

    /// <summary>Finishes the file, forces it to disk and renames it over the target.</summary>
    public void Commit()
    {
        WriteUInt32(CheckpointLayout.EndMagic);
        WriteUInt32((uint)_sections);
        if (_stream is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            _stream.Flush();
        }

        _stream.Dispose();
        File.Move(_temporary, _path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed)
        {
            return;
        }

        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Closing flushes the buffered tail, which fails again on a full disk; the file is discarded anyway.
        }
        finally
        {
            if (File.Exists(_temporary))
            {
                File.Delete(_temporary);
            }
        }
    }

    private void BeginSection(string name, SectionKind kind, long length)
    {
        byte[] encoded = Encoding.UTF8.GetBytes(name);
        WriteUInt32(CheckpointLayout.SectionMagic);
        Span<byte> header = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)encoded.Length);
        _stream.Write(header);
        _stream.Write(encoded);
        _stream.WriteByte((byte)kind);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(size, length);
        _stream.Write(size);
        _sections++;
    }

    private void Write(ReadOnlySpan<byte> data, Crc32 crc)
    {
        _stream.Write(data);
        crc.Append(data);
    }

    private void WriteUInt32(uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        _stream.Write(buffer);
    }
}
