using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Ddpm.Core.Interop;

/// <summary>
/// Reads and writes PyTorch's <c>torch.save(model.state_dict(), path)</c> files (the zip format of
/// PyTorch 1.6 and later) without Python and without executing anything from the file: the pickle
/// inside is read by a restricted reader that knows dicts, tensors and storages and refuses
/// everything else.
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>The largest pickle accepted (the tensor data lies outside it), 64 MB.</summary>
    public const int MaxPickleBytes = 64 << 20;

    private static readonly (string Storage, ScalarType Type, int Size)[] Storages =
    [
        ("torch.FloatStorage", ScalarType.Float32, 4), ("torch.DoubleStorage", ScalarType.Float64, 8), ("torch.HalfStorage", ScalarType.Float16, 2),
        ("torch.BFloat16Storage", ScalarType.BFloat16, 2), ("torch.LongStorage", ScalarType.Int64, 8), ("torch.IntStorage", ScalarType.Int32, 4),
        ("torch.ShortStorage", ScalarType.Int16, 2), ("torch.CharStorage", ScalarType.Int8, 1), ("torch.ByteStorage", ScalarType.Byte, 1),
        ("torch.BoolStorage", ScalarType.Bool, 1),
    ];

    /// <summary>Reads the tensors of a state_dict saved with <c>torch.save</c>, onto the CPU; disposing the result frees them.</summary>
    /// <param name="path">The <c>.pt</c> or <c>.pth</c> file.</param>
    /// <returns>The tensors by name, in the file's order, each contiguous.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a zip-format <c>torch.save</c> file, holds anything other than a flat dict of
    /// tensors (a whole pickled model, an optimizer, custom classes), or is truncated or inconsistent.
    /// </exception>
    public static StateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The PyTorch file '{path}' does not exist.", path);
        }

        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw Fail(path, $"it is not a zip archive, which torch.save has written since PyTorch 1.6 ({e.Message}); re-save it with a current torch.save, or _use_new_zipfile_serialization=True");
        }

        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);

        // Every tensor the pickle builds, so that those it does not return (a refused file, a tensor
        // nested where a state_dict has none) are freed now rather than by the finaliser.
        var created = new List<Tensor>();
        try
        {
            using (archive)
            {
                ZipArchiveEntry pickle = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                    ?? throw Fail(path, "it is a zip archive without the data.pkl that torch.save writes");
                string prefix = pickle.FullName[..^"data.pkl".Length];
                if (pickle.Length > MaxPickleBytes)
                {
                    throw Fail(path, $"its pickle is {pickle.Length} bytes, more than a state_dict needs");
                }

                byte[] bytes = ReadEntry(pickle, (int)pickle.Length, path);
                var reader = new Unpickler(
                    bytes,
                    path,
                    id => Storage(id, archive, prefix, storages, path),
                    (name, arguments) => Reduce(name, arguments, path, created));
                object? root = reader.Load();
                if (root is not Unpickler.Dict dict)
                {
                    throw Fail(path, "it holds a single object, not a dict; save model.state_dict()");
                }

                foreach ((object key, object? value) in dict)
                {
                    if (key is not string name || value is not Tensor tensor)
                    {
                        throw Fail(path, $"its entry '{key}' is {Describe(value)}, not a tensor: save model.state_dict() itself, not a dict that contains it");
                    }

                    if (!tensors.TryAdd(name, tensor))
                    {
                        throw Fail(path, $"it names the tensor '{name}' twice");
                    }
                }
            }

            var returned = new HashSet<Tensor>(tensors.Values, ReferenceEqualityComparer.Instance);
            created.RemoveAll(returned.Contains);
            return new StateDict(tensors);
        }
        catch (IOException e)
        {
            // A record shorter than the zip directory says, a damaged local header: the archive is corrupt.
            throw Fail(path, $"its zip archive is damaged ({e.Message})");
        }
        finally
        {
            foreach (Tensor tensor in created.Concat(storages.Values))
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// Writes tensors as a file that <c>torch.load</c> reads into a state_dict (an OrderedDict of
    /// tensors), for <c>model.load_state_dict(torch.load(path))</c>; replaces any file at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The file to write, conventionally <c>.pt</c>.</param>
    /// <param name="tensors">The tensors by name, such as a module's <c>state_dict()</c>.</param>
    /// <exception cref="ArgumentException">A name repeats, or a tensor's dtype has no PyTorch storage type here.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NewDisposeScope();
        var entries = tensors.Select(t => (t.Key, Tensor: t.Value.detach().cpu().contiguous())).ToList();
        if (entries.Select(e => e.Key).Distinct(StringComparer.Ordinal).Count() != entries.Count)
        {
            throw new ArgumentException("A tensor name is used twice; a state_dict needs unique names.", nameof(tensors));
        }

        var pickle = new PickleWriter();
        pickle.Prologue();
        for (int i = 0; i < entries.Count; i++)
        {
            (string name, Tensor tensor) = entries[i];
            string storage = Storages.FirstOrDefault(s => s.Type == tensor.dtype).Storage
                ?? throw new ArgumentException($"The tensor '{name}' has dtype {tensor.dtype}, which has no PyTorch storage type here.", nameof(tensors));
            pickle.Tensor(name, storage, i.ToString(System.Globalization.CultureInfo.InvariantCulture), tensor.shape, tensor.stride());
        }

        pickle.Epilogue();
        const string Archive = "archive/";
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        Add(zip, $"{Archive}data.pkl", pickle.ToArray());
        Add(zip, $"{Archive}byteorder", "little"u8.ToArray());
        for (int i = 0; i < entries.Count; i++)
        {
            Tensor tensor = entries[i].Tensor;
            ZipArchiveEntry entry = zip.CreateEntry($"{Archive}data/{i}", CompressionLevel.NoCompression);
            using Stream stream = entry.Open();
            if (tensor.NumberOfElements > 0)
            {
                stream.Write(tensor.bytes);
            }
        }

        Add(zip, $"{Archive}version", "3\n"u8.ToArray());
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        ZipArchiveEntry entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using Stream stream = entry.Open();
        stream.Write(content);
    }

    /// <summary>A persistent id ('storage', type, key, location, numel): the storage's bytes, as a flat tensor, read once per key.</summary>
    private static Tensor Storage(object?[] id, ZipArchive archive, string prefix, Dictionary<string, Tensor> storages, string path)
    {
        if (id is not ["storage", Unpickler.Global type, string key, string, long count] || count < 0)
        {
            throw Fail(path, "it holds a persistent reference that is not a tensor storage");
        }

        if (storages.TryGetValue(key, out Tensor? cached))
        {
            return cached;
        }

        (string Storage, ScalarType Type, int Size) kind = Storages.FirstOrDefault(s => s.Storage == type.Name);
        if (kind.Storage is null)
        {
            throw Fail(path, $"its storage type {type.Name} is not a tensor type");
        }

        ZipArchiveEntry entry = archive.GetEntry($"{prefix}data/{key}") ?? throw Fail(path, $"the storage data/{key} is missing");
        if (count > int.MaxValue / kind.Size || entry.Length != count * kind.Size)
        {
            throw Fail(path, $"the storage data/{key} holds {entry.Length} bytes, but the pickle says {count} elements of {kind.Type}");
        }

        Tensor storage = empty(count, dtype: kind.Type);
        storages[key] = storage;
        if (count > 0)
        {
            using Stream stream = entry.Open();
            stream.ReadExactly(storage.bytes);
        }

        return storage;
    }

    private static object Reduce(string name, object?[] arguments, string path, List<Tensor> created)
    {
        switch (name)
        {
            case "collections.OrderedDict" when arguments.Length == 0:
                return new Unpickler.Dict();
            case "torch._utils._rebuild_parameter" when arguments is [Tensor data, ..]:
                return data;
            case "torch._utils._rebuild_tensor_v2" when arguments is [Tensor storage, long offset, object?[] size, object?[] stride, ..]:
                Tensor rebuilt = Rebuild(storage, offset, Longs(size, path), Longs(stride, path), path);
                created.Add(rebuilt);
                return rebuilt;
            default:
                throw Fail(path, $"it calls {name} with arguments a state_dict never has");
        }
    }

    /// <summary>The tensor view (offset, size, stride) of a storage, copied out so it owns its memory.</summary>
    private static Tensor Rebuild(Tensor storage, long offset, long[] size, long[] stride, string path)
    {
        long count = storage.NumberOfElements;
        long last = offset;
        if (size.Length != stride.Length || offset < 0 || size.Any(s => s < 0) || stride.Any(s => s < 0))
        {
            throw Fail(path, "a tensor has an invalid size or stride");
        }

        bool empty = size.Any(s => s == 0);
        for (int d = 0; d < size.Length && !empty; d++)
        {
            if (size[d] > int.MaxValue || (stride[d] > 0 && size[d] - 1 > (long.MaxValue - last) / stride[d]))
            {
                throw Fail(path, "a tensor's size and stride overflow");
            }

            last += (size[d] - 1) * stride[d];
        }

        if (!empty && last >= count)
        {
            throw Fail(path, $"a tensor reaches element {last} of a storage of {count}");
        }

        if (empty)
        {
            return zeros(size, dtype: storage.dtype);
        }

        using Tensor view = storage.as_strided(size, stride, offset);
        return view.clone();
    }

    private static long[] Longs(object?[] values, string path) =>
        values.Select(v => v as long? ?? throw Fail(path, "a tensor's size or stride is not a list of integers")).ToArray();

    private static byte[] ReadEntry(ZipArchiveEntry entry, int length, string path)
    {
        var bytes = new byte[length];
        using Stream stream = entry.Open();
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw Fail(path, $"{entry.FullName} is shorter than the zip directory says");
        }

        return bytes;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        Unpickler.Dict => "a dict",
        string => "a string",
        long or double or bool => "a number",
        _ => value.GetType().Name,
    };

    private static InvalidDataException Fail(string path, string reason) => new($"'{path}' is not a readable PyTorch state_dict: {reason}.");

    /// <summary>Writes the pickle (protocol 2) of an OrderedDict of tensors, as torch.save does.</summary>
    private sealed class PickleWriter
    {
        private readonly MemoryStream _bytes = new();

        public void Prologue()
        {
            _bytes.Write([0x80, 2]);
            Global("collections", "OrderedDict");
            _bytes.WriteByte((byte)')');
            _bytes.WriteByte((byte)'R');
            _bytes.WriteByte((byte)'(');
        }

        public void Tensor(string name, string storage, string key, long[] size, long[] stride)
        {
            String(name);
            Global("torch._utils", "_rebuild_tensor_v2");
            _bytes.WriteByte((byte)'(');

            // The storage, as a persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel).
            _bytes.WriteByte((byte)'(');
            String("storage");
            int dot = storage.LastIndexOf('.');
            Global(storage[..dot], storage[(dot + 1)..]);
            String(key);
            String("cpu");
            Int(size.Aggregate(1L, (a, b) => a * b));
            _bytes.WriteByte((byte)'t');
            _bytes.WriteByte((byte)'Q');

            Int(0);
            Tuple(size);
            Tuple(stride);
            _bytes.WriteByte(0x89); // requires_grad = False
            Global("collections", "OrderedDict");
            _bytes.WriteByte((byte)')');
            _bytes.WriteByte((byte)'R');
            _bytes.WriteByte((byte)'t');
            _bytes.WriteByte((byte)'R');
        }

        public void Epilogue()
        {
            _bytes.WriteByte((byte)'u');
            _bytes.WriteByte((byte)'.');
        }

        public byte[] ToArray() => _bytes.ToArray();

        private void Tuple(long[] values)
        {
            _bytes.WriteByte((byte)'(');
            foreach (long value in values)
            {
                Int(value);
            }

            _bytes.WriteByte((byte)'t');
        }

        private void Global(string module, string name) => _bytes.Write(Encoding.UTF8.GetBytes($"c{module}\n{name}\n"));

        private void String(string value)
        {
            byte[] encoded = Encoding.UTF8.GetBytes(value);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)encoded.Length);
            _bytes.WriteByte((byte)'X');
            _bytes.Write(length);
            _bytes.Write(encoded);
        }

        private void Int(long value)
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                _bytes.WriteByte((byte)'J');
                _bytes.Write(bytes);
            }
            else
            {
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                _bytes.Write([0x8a, 8]);
                _bytes.Write(bytes);
            }
        }
    }
}
