using System.Runtime.InteropServices;

namespace Ddpm.Cli;

/// <summary>
/// Tunes the C allocator that libtorch allocates CPU tensors from. On Linux, glibc gives each
/// thread that contends for memory its own arena (up to 8 per core) and keeps freed pages in each,
/// so a training process that frees and reallocates hundreds of megabytes every step from several
/// threads holds more memory than it uses. Limiting the arenas is the usual fix (the
/// <c>MALLOC_ARENA_MAX</c> environment variable does the same before the process starts). It is a
/// process-wide choice, so it lives with the applications (the <c>ddpm</c> command, and the benchmarks,
/// which link this file), not in the library.
/// </summary>
internal static class NativeAllocator
{
    private const int ArenaMaxParameter = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>
    /// Limits glibc's malloc to <paramref name="arenas"/> arenas for the rest of the process, as
    /// <c>MALLOC_ARENA_MAX</c> would. Call it once, early, before training starts: arenas that
    /// already exist are kept.
    /// </summary>
    /// <param name="arenas">The most arenas glibc may create; at least 1. The default, 2, kept training speed unchanged in this project's benchmarks.</param>
    /// <returns>True when the setting was applied; false on other platforms or C libraries (macOS, Windows, musl), where nothing changes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="arenas"/> is less than 1.</exception>
    public static bool LimitArenas(int arenas = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arenas, 1);
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return mallopt(ArenaMaxParameter, arenas) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt).
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int parameter, int value);
}
