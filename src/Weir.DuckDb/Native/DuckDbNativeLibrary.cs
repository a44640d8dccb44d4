using System.Reflection;
using System.Runtime.InteropServices;

namespace Weir.DuckDb.Native;

/// <summary>
/// Finds DuckDB's shared library. It ships in the npm package @duckdb/node-bindings-&lt;platform&gt; and the build
/// copies it next to the assemblies; <c>WEIR_DUCKDB_LIBRARY</c> can name another file.
/// </summary>
internal static class DuckDbNativeLibrary
{
    internal const string PathVariable = "WEIR_DUCKDB_LIBRARY";

    private static readonly Lock Gate = new();
    private static IntPtr _handle;
    private static bool _resolverInstalled;

    internal static string FileName =>
        OperatingSystem.IsWindows() ? "duckdb.dll" : OperatingSystem.IsMacOS() ? "libduckdb.dylib" : "libduckdb.so";

    internal static string NpmPackage => $"@duckdb/node-bindings-{PlatformName}";

    private static string PlatformName
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
            var cpu = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
            return $"{os}-{cpu}";
        }
    }

    /// <summary>Loads the library once, or throws an exception that says how to install it.</summary>
    internal static void EnsureLoaded()
    {
        if (_handle != IntPtr.Zero)
        {
            return;
        }

        lock (Gate)
        {
            if (_handle != IntPtr.Zero)
            {
                return;
            }

            _handle = Load(CandidatePaths(Environment.GetEnvironmentVariable(PathVariable), AppContext.BaseDirectory));
            if (!_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(DuckDbNativeLibrary).Assembly, Resolve);
                _resolverInstalled = true;
            }
        }
    }

    internal static IReadOnlyList<string> CandidatePaths(string? explicitPath, string baseDirectory) =>
        string.IsNullOrEmpty(explicitPath)
            ? [Path.Combine(baseDirectory, FileName)]
            : [explicitPath];

    /// <summary>Loads the first candidate that exists and loads; otherwise throws naming every path it tried.</summary>
    internal static IntPtr Load(IReadOnlyList<string> candidates)
    {
        var failures = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                failures.Add($"{path} (not found)");
                continue;
            }

            try
            {
                return NativeLibrary.Load(path);
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                failures.Add($"{path} ({ex.Message})");
            }
        }

        throw new DuckDbException(
            $"DuckDB's native library could not be loaded. Tried: {string.Join("; ", failures)}. " +
            $"It comes from the npm package {NpmPackage}, pinned in the repository's package.json: run 'npm ci' in the " +
            $"repository root and rebuild (./weir does both), or set {PathVariable} to the path of {FileName}.");
    }

    /// <summary>The address of an exported symbol that the C API does not declare, or false when this build lacks it.</summary>
    internal static bool TryGetExport(string name, out IntPtr address)
    {
        EnsureLoaded();
        return NativeLibrary.TryGetExport(_handle, name, out address);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? _handle : IntPtr.Zero;
}
