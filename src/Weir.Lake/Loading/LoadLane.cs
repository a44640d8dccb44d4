using Microsoft.Extensions.Logging;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Hot;
using Weir.Lake.Logging;
using Weir.Log;

namespace Weir.Lake.Loading;

/// <summary>
/// One of the loader's lanes: a DuckDB connection with its own appender on the hot table, a decoder and a schema
/// tally, which decodes and appends the records it is given. The loader has decided beforehand, in log order, which
/// records are duplicates, so lanes share nothing and their order does not matter. A lane with a thread of its own works
/// while the loader reads and de-duplicates the next batch; a lane without one (a loader of a single lane) does its work
/// on the caller's thread, in <see cref="StartLoad"/> and <see cref="StartFlush"/>.
/// </summary>
internal sealed class LoadLane : IDisposable
{
    private readonly DuckDbConnection _connection;
    private readonly ILogger _logger;
    private readonly RecordDecoder _decoder = new();
    private readonly SiteIdCache _sites = new();
    private readonly Thread? _thread;
    private readonly SemaphoreSlim _go = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private DuckDbAppender _appender;
    private HotRowWriter _writer;
    private Job _job;
    private LogRecordBatch? _batch;
    private int[] _indices = [];
    private int _from;
    private int _count;
    private int _appended;
    private int _rejected;
    private readonly IHotRowEnricher? _enricher;
    private readonly HotDimensions _dimensions;
    private Exception? _failure;
    private bool _busy;

    public LoadLane(DuckDbDatabase database, HotDimensions dimensions, ILogger logger, string? threadName, IHotRowEnricher? enricher)
    {
        _logger = logger;
        _enricher = enricher;
        _dimensions = dimensions;
        _connection = database.Connect();
        _appender = HotTable.CreateAppender(_connection);
        _writer = new HotRowWriter(_appender, dimensions, enricher);
        if (threadName is not null)
        {
            _thread = new Thread(Work) { IsBackground = true, Name = threadName };
            _thread.Start();
        }
    }

    private enum Job
    {
        None,
        Load,
        Flush,
        Stop,
    }

    /// <summary>What this lane has counted since the last flush (or reset).</summary>
    public SchemaAccumulator Schema { get; private set; } = new();

    /// <summary>
    /// Decodes and appends the records of <paramref name="batch"/> at <paramref name="indices"/>[from..from+count).
    /// <see cref="Wait"/> for it before the batch or the indices change.
    /// </summary>
    public void StartLoad(LogRecordBatch batch, int[] indices, int from, int count)
    {
        _batch = batch;
        _indices = indices;
        _from = from;
        _count = count;
        Start(Job.Load);
    }

    /// <summary>Hands the appended rows to DuckDB, where queries see them; <see cref="Wait"/> for it.</summary>
    public void StartFlush() => Start(Job.Flush);

    /// <summary>
    /// Waits for the work started last, and throws what it threw; <paramref name="appended"/> and
    /// <paramref name="rejected"/> count the rows of a load (0 for anything else, or when nothing was started).
    /// </summary>
    public void Wait(out int appended, out int rejected)
    {
        appended = 0;
        rejected = 0;
        if (!_busy)
        {
            return;
        }

        if (_thread is not null)
        {
            _done.Wait();
        }

        _busy = false;
        _batch = null;
        (appended, rejected, _appended, _rejected) = (_appended, _rejected, 0, 0);
        if (_failure is { } failure)
        {
            _failure = null;
            throw new InvalidOperationException("A loader lane failed: " + failure.Message, failure);
        }
    }

    /// <summary>Forgets what was counted, when the loader starts over from the watermark (a flush's merge empties it itself).</summary>
    public void ResetSchema() => Schema = new SchemaAccumulator();

    /// <summary>Drops the appender before the hot table is replaced; <see cref="Reattach"/> makes a new one.</summary>
    public void Detach() => _appender.Dispose();

    /// <summary>An appender on the (new) hot table.</summary>
    public void Reattach()
    {
        _appender = HotTable.CreateAppender(_connection);
        _writer = new HotRowWriter(_appender, _dimensions, _enricher);
    }

    public void Dispose()
    {
        if (_thread is not null)
        {
            try
            {
                Wait(out _, out _);
            }
            catch (InvalidOperationException)
            {
                // Its failure was the loader's to report; this is the end of the lane either way.
            }

            _job = Job.Stop;
            _go.Release();
            _thread.Join();
        }

        _appender.Dispose();
        _connection.Dispose();
        _decoder.Dispose();
        _go.Dispose();
        _done.Dispose();
    }

    private void Start(Job job)
    {
        if (_busy)
        {
            throw new InvalidOperationException("The lane is still busy: wait for it first.");
        }

        _busy = true;
        _job = job;
        _failure = null;
        if (_thread is null)
        {
            Run();
        }
        else
        {
            _go.Release();
        }
    }

    private void Work()
    {
        while (true)
        {
            _go.Wait();
            if (_job == Job.Stop)
            {
                return;
            }

            Run();
            _done.Release();
        }
    }

    private void Run()
    {
        try
        {
            if (_job == Job.Load)
            {
                Load();
            }
            else
            {
                // The values the rows' dimension ids stand for must be in their tables before the rows are visible.
                _dimensions.Publish(_connection);
                _appender.Flush();
            }
        }
        catch (Exception e)
        {
            _appended = 0;
            _rejected = 0;
            _failure = e;
        }
    }

    private void Load()
    {
        var records = _batch!.AsSpan();
        int appended = 0, rejected = 0;
        for (var i = _from; i < _from + _count; i++)
        {
            var record = records[_indices[i]];
            if (!_decoder.TryDecode(record.Payload.Span, out var decoded, out var error))
            {
                rejected++;
                LakeLog.RecordRejected(_logger, record.Position, error);
                continue;
            }

            Schema.Observe(_sites.Get(decoded.SiteId), decoded.Event, decoded.Properties, decoded.Timestamp);
            _writer.Append(in decoded, record.Position);
            appended++;
        }

        _appended = appended;
        _rejected = rejected;
    }
}
