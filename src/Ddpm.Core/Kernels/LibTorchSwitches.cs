using System.Runtime.InteropServices;

namespace Ddpm.Core.Kernels;

/// <summary>
/// libtorch's process-wide backend switches that TorchSharp 0.107 does not expose:
/// <c>at::globalContext().setUserEnabledMkldnn(bool)</c> and <c>setUserEnabledNNPACK(bool)</c>, the
/// calls behind Python's <c>torch.backends.mkldnn.enabled</c> and <c>torch.backends.nnpack.enabled</c>.
/// They are C++ members, so they are found by their mangled names (Itanium on Linux and macOS, MSVC
/// on Windows) with <see cref="NativeLibrary.TryGetExport"/>; where a name is missing the switch is
/// reported unavailable, and nothing is called.
/// </summary>
internal static unsafe class LibTorchSwitches
{
    private static readonly string[] Libraries = ["libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"];
    private static readonly string[] GlobalContextNames = ["_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ"];
    private static readonly string[] MkldnnNames = ["_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"];
    private static readonly string[] NnpackNames = ["_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z"];
    private static readonly string[] NnpackAvailableNames = ["_ZN2at6native17_nnpack_availableEv", "?_nnpack_available@native@at@@YA_NXZ"];
    private static readonly string[] NnpackEnabledNames = ["_ZNK2at7Context17userEnabledNNPACKEv", "?userEnabledNNPACK@Context@at@@QEBA_NXZ"];
    private static readonly Lazy<Exports?> Resolved = new(Resolve);
    private static readonly Lazy<bool?> NnpackProbe = new(ProbeNnpack);

    /// <summary>Gets why the switches cannot be used here, or null when they can.</summary>
    public static string? Unavailable => Resolved.Value is null
        ? "this libtorch does not export at::Context::setUserEnabledMkldnn and setUserEnabledNNPACK under the names this build knows"
        : null;

    /// <summary>Switches oneDNN and NNPACK on or off for the whole process; false when the switches are unavailable.</summary>
    /// <param name="oneDnn">Whether libtorch may run convolutions with oneDNN (its default).</param>
    /// <param name="nnpack">Whether libtorch may try NNPACK (its default). NNPACK cannot start on CPUs that hide their cache topology, and libtorch then prints a warning at every convolution it would have taken.</param>
    /// <returns>Whether the switches were set.</returns>
    public static bool TrySet(bool oneDnn, bool nnpack)
    {
        if (Resolved.Value is not Exports exports)
        {
            return false;
        }

        IntPtr context = exports.GlobalContext();
        exports.SetMkldnn(context, oneDnn ? (byte)1 : (byte)0);
        exports.SetNnpack(context, nnpack ? (byte)1 : (byte)0);
        return true;
    }

    /// <summary>
    /// Gets whether NNPACK can start on this CPU (libtorch's <c>at::native::_nnpack_available</c>, Python's
    /// <c>torch._nnpack_available()</c>), or null when this libtorch does not export the probe. Asked once per
    /// process; where it is false libtorch prints one warning for the question.
    /// </summary>
    public static bool? NnpackAvailable => NnpackProbe.Value;

    /// <summary>Gets whether libtorch may try NNPACK (<c>userEnabledNNPACK</c>), or null when the switches are unavailable.</summary>
    public static bool? NnpackEnabled => Resolved.Value is Exports exports && exports.NnpackEnabled is not null
        ? exports.NnpackEnabled(exports.GlobalContext()) != 0
        : null;

    /// <summary>
    /// Sets a variable in the native environment, where oneDNN reads it. .NET's own
    /// <see cref="Environment.SetEnvironmentVariable(string, string?)"/> changes only the managed copy on
    /// Linux and macOS, so there it is C's <c>setenv</c>.
    /// </summary>
    public static void SetNativeEnvironment(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows() && setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"Could not set {name}={value} in the process environment (setenv failed).");
        }
    }

    /// <summary>Reads a variable from the native environment (what oneDNN sees), or null.</summary>
    public static string? GetNativeEnvironment(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            return Environment.GetEnvironmentVariable(name);
        }

        IntPtr value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    private static Exports? Resolve()
    {
        // TorchSharp has loaded libtorch by now; loading it by name returns the same, already-loaded library.
        foreach (string name in Libraries)
        {
            if (!NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories, out IntPtr library))
            {
                continue;
            }

            if (TryExport(library, GlobalContextNames, out IntPtr context)
                && TryExport(library, MkldnnNames, out IntPtr mkldnn)
                && TryExport(library, NnpackNames, out IntPtr nnpack))
            {
                return new Exports(
                    (delegate* unmanaged<IntPtr>)context,
                    (delegate* unmanaged<IntPtr, byte, void>)mkldnn,
                    (delegate* unmanaged<IntPtr, byte, void>)nnpack)
                {
                    NnpackAvailable = TryExport(library, NnpackAvailableNames, out IntPtr available) ? (delegate* unmanaged<byte>)available : null,
                    NnpackEnabled = TryExport(library, NnpackEnabledNames, out IntPtr enabled) ? (delegate* unmanaged<IntPtr, byte>)enabled : null,
                };
            }
        }

        return null;
    }

    private static bool? ProbeNnpack() =>
        Resolved.Value is Exports exports && exports.NnpackAvailable is not null ? exports.NnpackAvailable() != 0 : null;

    private static bool TryExport(IntPtr library, string[] names, out IntPtr address)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryGetExport(library, name, out address))
            {
                return true;
            }
        }

        address = IntPtr.Zero;
        return false;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    private sealed class Exports
    {
        private readonly delegate* unmanaged<IntPtr> _globalContext;
        private readonly delegate* unmanaged<IntPtr, byte, void> _setMkldnn;
        private readonly delegate* unmanaged<IntPtr, byte, void> _setNnpack;

        public Exports(delegate* unmanaged<IntPtr> globalContext, delegate* unmanaged<IntPtr, byte, void> setMkldnn, delegate* unmanaged<IntPtr, byte, void> setNnpack)
        {
            _globalContext = globalContext;
            _setMkldnn = setMkldnn;
            _setNnpack = setNnpack;
        }

        /// <summary>Gets <c>at::native::_nnpack_available()</c>, or null where it is not exported.</summary>
        public delegate* unmanaged<byte> NnpackAvailable { get; init; }

        /// <summary>Gets <c>at::Context::userEnabledNNPACK() const</c>, or null where it is not exported.</summary>
        public delegate* unmanaged<IntPtr, byte> NnpackEnabled { get; init; }

        public IntPtr GlobalContext() => _globalContext();

        public void SetMkldnn(IntPtr context, byte enabled) => _setMkldnn(context, enabled);

        public void SetNnpack(IntPtr context, byte enabled) => _setNnpack(context, enabled);
    }
}
