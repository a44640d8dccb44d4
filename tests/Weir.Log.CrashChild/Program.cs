using System.Buffers.Binary;
using System.Globalization;
using Weir.Log;

// Usage: Weir.Log.CrashChild <log directory> <run id> <writers>
// Opens the log, prints "ready", then appends from <writers> concurrent tasks until it is killed. After each
// acknowledged append it prints "<run>:<writer>:<sequence> <position>" and flushes, so every line the parent reads is a
// record the log promised was durable. Payload: run, writer, sequence (3 × int32) and a deterministic filler.
//
// Usage: Weir.Log.CrashChild erase <log directory> <raw directory>
// Opens a log the parent wrote, prints "ready", then erases one group after another until it is killed: it prints
// "erasing <group>" before the erasure of the records holding "SECRET-<group>-SECRET" and "erased <group> <records>
// <files>" once it returned. Options: see ErasureChild.Options (the parent uses the same).
if (args.Length == 3 && args[0] == "erase")
{
    return await ErasureChild.RunAsync(args[1], args[2]);
}

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Weir.Log.CrashChild <log directory> <run id> <writers> | erase <log directory> <raw directory>");
    return 2;
}

var directory = args[0];
var run = int.Parse(args[1], CultureInfo.InvariantCulture);
var writers = int.Parse(args[2], CultureInfo.InvariantCulture);
var output = Console.Out;
var outputLock = new Lock();

await using var log = DurableLog.Open(new LogOptions
{
    Directory = directory,
    SegmentBytes = 256 << 10,
    MaxBatchBytes = 64 << 10,
    MaxRecordBytes = 16 << 10,
});

output.WriteLine("ready");
output.Flush();

await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
{
    var random = new Random(run * 1000 + writer);
    for (var sequence = 0; ; sequence++)
    {
        var payload = CrashRecord.Make(run, writer, sequence, 16 + random.Next(2000));
        var position = await log.AppendAsync(payload);
        lock (outputLock)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run}:{writer}:{sequence} {position}"));
            output.Flush();
        }
    }
})));
return 0;

/// <summary>The payload layout the crash test checks.</summary>
public static class CrashRecord
{
    public static byte[] Make(int run, int writer, int sequence, int length)
    {
        var payload = new byte[Math.Max(length, 12)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, run);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), writer);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(8), sequence);
        for (var i = 12; i < payload.Length; i++)
        {
            payload[i] = (byte)(run + writer * 3 + sequence * 5 + i);
        }

        return payload;
    }
}

/// <summary>The erasure mode: erasures in a loop, each announced before it starts and reported once it returned.</summary>
public static class ErasureChild
{
    public static LogOptions Options(string directory, string archiveDirectory) => new()
    {
        Directory = directory,
        ArchiveDirectory = archiveDirectory,
        SegmentBytes = 16 << 10,
        MaxBatchBytes = 16 << 10,
        MaxRecordBytes = 4 << 10,
    };

    public static async Task<int> RunAsync(string directory, string archiveDirectory)
    {
        var output = Console.Out;
        await using var log = DurableLog.Open(Options(directory, archiveDirectory));
        output.WriteLine("ready");
        output.Flush();
        for (var group = 0; ; group++)
        {
            var marker = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"SECRET-{group}-SECRET"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"erasing {group}"));
            output.Flush();
            var result = await log.EraseAsync(payload => payload.IndexOf(marker) >= 0);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"erased {group} {result.RecordsErased} {result.FilesRewritten}"));
            output.Flush();
        }
    }
}
