using System.Globalization;
using System.Threading.Channels;
using Weir.Lake;
using Weir.Lake.CrashChild;
using Weir.Lake.Maintenance;
using Weir.Log;

// Usage: Weir.Lake.CrashChild flush|compact|erase <data folder> <first id | person>
// Opens the log and the lake of the data folder with the options of CrashData, starts the lake (which recovers, and
// resumes unfinished erasures) and prints "ready". Every line is flushed as soon as it is written, so a line the parent
// reads describes something that has happened.
//
// flush:   appends the events from <first id> on in durable batches of CrashData.BatchSize (with their copies), prints
//          "acked <last id>" after each batch, and every fourth batch waits until the lake has loaded it, flushes and
//          prints "flushed <watermark>". The loader also flushes on its own (small FlushRows). Until killed.
// compact: the same, but flushes after every batch (so partitions pile up small files), while another task compacts
//          and sweeps after each flush, printing "compacted <files merged>". Until killed.
// erase:   requests the erasure of every event whose user_id is <person>, prints "requested <job id>", waits for the
//          job (after those the start resumed), prints "erased <lake rows> <log records>" and exits.
if (args.Length != 3 || args[0] is not ("flush" or "compact" or "erase"))
{
    Console.Error.WriteLine("usage: Weir.Lake.CrashChild flush|compact|erase <data folder> <first id | person>");
    return 2;
}

var mode = args[0];
var data = args[1];
var output = Console.Out;
var outputLock = new Lock();
void Say(string line)
{
    lock (outputLock)
    {
        output.WriteLine(line);
        output.Flush();
    }
}

await using var log = DurableLog.Open(CrashData.LogOptions(data));
await using var lake = Lake.Open(CrashData.LakeOptions(data), log);
lake.Start();
Say("ready");

if (mode == "erase")
{
    var job = lake.RequestErasure(null, ErasureField.UserId, args[2]);
    Say("requested " + job.Id);
    var done = await lake.WhenErasureFinishedAsync(job.Id);
    if (done.Status != ErasureStatus.Completed)
    {
        Console.Error.WriteLine($"erasure {done.Id} ended {done.Status}: {done.Error}");
        return 1;
    }

    Say(string.Create(CultureInfo.InvariantCulture, $"erased {done.LakeRowsErased} {done.LogRecordsErased}"));
    return 0;
}

var compact = mode == "compact";
var flushed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

async Task AppendAsync()
{
    var next = long.Parse(args[2], CultureInfo.InvariantCulture);
    for (var batch = 1; ; batch++)
    {
        await log.AppendBatchAsync(CrashData.Records(next, CrashData.BatchSize));
        next += CrashData.BatchSize;
        Say(string.Create(CultureInfo.InvariantCulture, $"acked {next - 1}"));
        if (compact || batch % 4 == 0)
        {
            await lake.WhenLoadedAsync(log.CommittedPosition);
            await lake.FlushAsync();
            Say(string.Create(CultureInfo.InvariantCulture, $"flushed {lake.Catalog.Watermark}"));
            flushed.Writer.TryWrite(true);
        }
    }
}

async Task CompactAsync()
{
    while (true)
    {
        await flushed.Reader.ReadAsync();
        var summary = await lake.CompactAsync();
        await lake.SweepAsync();
        Say(string.Create(CultureInfo.InvariantCulture, $"compacted {summary.FilesIn}"));
    }
}

// Both loop until killed; the first to fail ends the program with its exception.
await await Task.WhenAny(compact ? [AppendAsync(), CompactAsync()] : [AppendAsync()]);
return 1;
