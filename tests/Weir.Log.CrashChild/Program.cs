using System.Buffers.Binary;
using System.Globalization;
using Weir.Log;

// Usage: Weir.Log.CrashChild <log directory> <run id> <writers>
// Opens the log, prints "ready", then appends from <writers> concurrent tasks until it is killed. After each
// acknowledged append it prints "<run>:<writer>:<sequence> <position>" and flushes, so every line the parent reads is a
// record the log promised was durable. Payload: run, writer, sequence (3 × int32) and a deterministic filler.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Weir.Log.CrashChild <log directory> <run id> <writers>");
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
