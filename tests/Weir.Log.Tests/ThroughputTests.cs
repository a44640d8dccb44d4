using System.Diagnostics;
using Xunit.Abstractions;

namespace Weir.Log.Tests;

[CollectionDefinition(nameof(Measurements), DisableParallelization = true)]
public sealed class Measurements;

/// <summary>
/// Measures group commit under concurrency and checks the append path's allocation budget. Runs alone (its collection
/// disables parallelization) so other tests' allocations and disk traffic do not count.
/// </summary>
[Collection(nameof(Measurements))]
public class ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_appends_group_into_few_fsyncs_and_allocate_almost_nothing_per_record()
    {
        using var temp = new TempDirectory();
        const int writers = 64, perWriter = 2000, size = 300;
        await using var log = DurableLog.Open(new LogOptions { Directory = temp.Path });
        var payloads = Enumerable.Range(0, writers).Select(w => (ReadOnlyMemory<byte>)TestRecords.Make(w, 0, size)).ToArray();

        // Warm up: JIT, the waiter pool, the thread pool.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => AppendManyAsync(log, payloads[w], 200))));

        var before = log.GetStatistics();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => AppendManyAsync(log, payloads[w], perWriter))));
        clock.Stop();
        var bytesPerAppend = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / (writers * perWriter);
        var after = log.GetStatistics();

        var records = after.RecordsAppended - before.RecordsAppended;
        var fsyncs = after.Fsyncs - before.Fsyncs;
        output.WriteLine($"{records} appends of {size} B from {writers} writers in {clock.ElapsedMilliseconds} ms: "
            + $"{records / clock.Elapsed.TotalSeconds:N0} durable appends/s, {fsyncs} fsyncs, {(double)records / fsyncs:N1} records per fsync, "
            + $"{bytesPerAppend:N1} bytes allocated per append");

        Assert.Equal(writers * perWriter, records);
        Assert.True(fsyncs * 4 < records, $"{fsyncs} fsyncs for {records} records");
        Assert.True(bytesPerAppend < 64, $"{bytesPerAppend:N1} bytes allocated per append");
    }

    private static async Task AppendManyAsync(DurableLog log, ReadOnlyMemory<byte> payload, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(payload);
        }
    }
}
