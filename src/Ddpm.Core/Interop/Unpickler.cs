using System.Buffers.Binary;
using System.Text;

namespace Ddpm.Core.Interop;

/// <summary>
/// A pickle reader that understands only what <c>torch.save(state_dict)</c> writes: dicts, lists,
/// tuples, strings, numbers, and a fixed list of constructors (<c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c>, the
/// <c>torch.*Storage</c> types). It builds plain data and never calls anything the file names: any
/// other global, and any opcode outside that subset, is refused.
/// </summary>
internal sealed class Unpickler
{
    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    };

    private readonly byte[] _data;
    private readonly string _path;
    private readonly Func<object?[], object> _persistentLoad;
    private readonly Func<string, object?[], object> _reduce;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    /// <param name="data">The pickle bytes.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="persistentLoad">Turns a persistent id (a tuple) into an object: the tensor storages.</param>
    /// <param name="reduce">Applies an allowed global to its arguments.</param>
    public Unpickler(byte[] data, string path, Func<object?[], object> persistentLoad, Func<string, object?[], object> reduce)
    {
        _data = data;
        _path = path;
        _persistentLoad = persistentLoad;
        _reduce = reduce;
    }

    /// <summary>A global the pickle named, for example <c>torch.FloatStorage</c>; only allowed ones are ever created.</summary>
    public sealed record Global(string Name);

    /// <summary>A dict or OrderedDict, its keys in insertion order.</summary>
    public sealed class Dict : List<KeyValuePair<object, object?>>
    {
    }

    public object? Load()
    {
        while (true)
        {
            byte opcode = Byte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    if (Byte() > 5)
                    {
                        throw Fail("its pickle protocol is newer than 5");
                    }

                    break;
                case 0x95: // FRAME
                    Bytes(8);
                    break;
                case (byte)'.': // STOP
                    return Pop();
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'}': // EMPTY_DICT
                    _stack.Add(new Dict());
                    break;
                case (byte)']': // EMPTY_LIST
                    _stack.Add(new List<object?>());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    _stack.Add(Array.Empty<object?>());
                    break;
                case (byte)'N': // NONE
                    _stack.Add(null);
                    break;
                case 0x88: // NEWTRUE
                    _stack.Add(true);
                    break;
                case 0x89: // NEWFALSE
                    _stack.Add(false);
                    break;
                case (byte)'J': // BININT
                    _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4)));
                    break;
                case (byte)'K': // BININT1
                    _stack.Add((long)Byte());
                    break;
                case (byte)'M': // BININT2
                    _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2)));
                    break;
                case 0x8a: // LONG1
                    _stack.Add(Long(Byte()));
                    break;
                case (byte)'G': // BINFLOAT
                    _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    _stack.Add(Text(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    _stack.Add(Text(Byte()));
                    break;
                case 0x8d: // BINUNICODE8
                    _stack.Add(Text(BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8))));
                    break;
                case (byte)'c': // GLOBAL
                    _stack.Add(MakeGlobal($"{Line()}.{Line()}"));
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        string name = Pop() as string ?? throw Fail("STACK_GLOBAL without a name");
                        string module = Pop() as string ?? throw Fail("STACK_GLOBAL without a module");
                        _stack.Add(MakeGlobal($"{module}.{name}"));
                        break;
                    }

                case (byte)'q': // BINPUT
                    _memo[Byte()] = Peek();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case (byte)'h': // BINGET
                    _stack.Add(Memo(Byte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))));
                    break;
                case (byte)'t': // TUPLE
                    _stack.Add(PopMark().ToArray());
                    break;
                case 0x85: // TUPLE1
                    _stack.Add(new[] { Pop() });
                    break;
                case 0x86: // TUPLE2
                    {
                        object? b = Pop(), a = Pop();
                        _stack.Add(new[] { a, b });
                        break;
                    }

                case 0x87: // TUPLE3
                    {
                        object? c = Pop(), b = Pop(), a = Pop();
                        _stack.Add(new[] { a, b, c });
                        break;
                    }

                case (byte)'a': // APPEND
                    {
                        object? item = Pop();
                        (Peek() as List<object?> ?? throw Fail("APPEND to something that is not a list")).Add(item);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        List<object?> items = PopMark();
                        (Peek() as List<object?> ?? throw Fail("APPENDS to something that is not a list")).AddRange(items);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        object? value = Pop();
                        object key = Pop() ?? throw Fail("a dict key is None");
                        (Peek() as Dict ?? throw Fail("SETITEM on something that is not a dict")).Add(new(key, value));
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        List<object?> items = PopMark();
                        Dict dict = Peek() as Dict ?? throw Fail("SETITEMS on something that is not a dict");
                        for (int i = 0; i + 1 < items.Count; i += 2)
                        {
                            dict.Add(new(items[i] ?? throw Fail("a dict key is None"), items[i + 1]));
                        }

                        break;
                    }

                case (byte)'Q': // BINPERSID
                    _stack.Add(_persistentLoad(Pop() as object?[] ?? throw Fail("a persistent id that is not a tuple")));
                    break;
                case (byte)'R': // REDUCE
                    {
                        object?[] arguments = Pop() as object?[] ?? throw Fail("REDUCE without an argument tuple");
                        Global callable = Pop() as Global ?? throw Fail("REDUCE of something that is not an allowed global");
                        _stack.Add(_reduce(callable.Name, arguments));
                        break;
                    }

                case (byte)'b': // BUILD
                    {
                        // State set on a dict (an OrderedDict's _metadata): kept out, it holds no tensors.
                        _ = Pop();
                        if (Peek() is not Dict)
                        {
                            throw Fail("BUILD on something other than a dict");
                        }

                        break;
                    }

                default:
                    throw Fail($"it uses the pickle opcode 0x{opcode:X2} at byte {_position - 1}, which a state_dict of tensors never needs");
            }
        }
    }

    private Global MakeGlobal(string name) => AllowedGlobals.Contains(name)
        ? new Global(name)
        : throw Fail($"it refers to the Python object '{name}'. Only a state_dict of tensors is read, and nothing in the file is executed; save model.state_dict() with torch.save");

    private object? Memo(long key) => _memo.TryGetValue(key, out object? value) ? value : throw Fail($"it refers to memo entry {key}, which was never stored");

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Fail("a MARK is missing");
        }

        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        if (mark > _stack.Count)
        {
            throw Fail("a MARK lies above the stack");
        }

        List<object?> items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] >= _stack.Count))
        {
            throw Fail("the pickle stack ran empty");
        }

        object? top = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return top;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Fail("the pickle stack ran empty");

    private byte Byte() => Bytes(1)[0];

    private ReadOnlySpan<byte> Bytes(long count)
    {
        if (count < 0 || count > _data.Length - _position)
        {
            throw Fail("its pickle ends early");
        }

        var span = _data.AsSpan(_position, (int)count);
        _position += (int)count;
        return span;
    }

    private string Text(ulong length) => Encoding.UTF8.GetString(Bytes(length > int.MaxValue ? -1 : (long)length));

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0)
        {
            throw Fail("its pickle ends inside a name");
        }

        string text = Encoding.UTF8.GetString(_data, _position, end - _position);
        _position = end + 1;
        return text;
    }

    private long Long(int length)
    {
        if (length > 8)
        {
            throw Fail("it holds an integer wider than 64 bits");
        }

        ReadOnlySpan<byte> bytes = Bytes(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        // Two's complement: sign-extend from the top byte.
        return length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0 ? value - (1L << (8 * length)) : value;
    }

    private InvalidDataException Fail(string reason) => new($"'{_path}' is not a readable PyTorch state_dict: {reason}.");
}
