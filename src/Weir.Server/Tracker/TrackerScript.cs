using System.IO.Compression;
using System.Security.Cryptography;

namespace Weir.Server.Tracker;

/// <summary>
/// The browser tracker, <c>weir.js</c>, as the build embedded it (web/tracker, see docs/tracker.md): its bytes, a
/// gzip variant compressed once, and a strong ETag for each, so serving it is a header check and one write.
/// </summary>
internal sealed class TrackerScript
{
    private TrackerScript(byte[] script)
    {
        Identity = new Representation(script, null);
        Gzip = new Representation(Compress(script), "gzip");
    }

    /// <summary>The script from this assembly's resources.</summary>
    public static TrackerScript Embedded { get; } = Load();

    public Representation Identity { get; }

    public Representation Gzip { get; }

    /// <summary>One encoding of the script and its ETag: a hash of exactly the bytes sent.</summary>
    internal sealed class Representation
    {
        public Representation(byte[] bytes, string? contentEncoding)
        {
            Bytes = bytes;
            ContentEncoding = contentEncoding;
            ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16)) + "\"";
        }

        public ReadOnlyMemory<byte> Bytes { get; }

        public string? ContentEncoding { get; }

        public string ETag { get; }
    }

    private static TrackerScript Load()
    {
        using var stream = typeof(TrackerScript).Assembly.GetManifestResourceStream("weir.js")
            ?? throw new InvalidOperationException("weir.js is not embedded in Weir.Server: the build runs web/tracker/build.mjs with Node");
        var script = new byte[stream.Length];
        stream.ReadExactly(script);
        return new TrackerScript(script);
    }

    private static byte[] Compress(byte[] script)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(script);
        }

        return output.ToArray();
    }
}
