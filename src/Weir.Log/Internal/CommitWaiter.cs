using System.Threading.Tasks.Sources;

namespace Weir.Log.Internal;

/// <summary>
/// A pooled completion for one <see cref="DurableLog.WaitForCommitAsync"/> or append: the flusher completes it once the
/// record at <see cref="Position"/> is durable (or fails it), and it returns to the pool when its result is read.
/// So an append costs no allocation in steady state. As with any pooled ValueTask, the result must be awaited once.
/// </summary>
internal sealed class CommitWaiter : IValueTaskSource<long>, IValueTaskSource
{
    private readonly WaiterPool _pool;
    private ManualResetValueTaskSourceCore<long> _core;

    public CommitWaiter(WaiterPool pool)
    {
        _pool = pool;
        // Continuations run inline where the waiter is completed: on the thread-pool thread of a Completions work
        // item, never on the flusher.
    }

    /// <summary>The position waited for.</summary>
    public long Position { get; private set; }

    public short Version => _core.Version;

    /// <summary>The value the awaiter gets: the record's position, or a batch's first position.</summary>
    public long Result { get; private set; }

    public void Arm(long position, long result)
    {
        Position = position;
        Result = result;
    }

    public void Complete() => _core.SetResult(Result);

    public void Fail(Exception exception) => _core.SetException(exception);

    public ValueTask<long> AsValueTaskOfPosition() => new(this, _core.Version);

    public ValueTask AsValueTask() => new(this, _core.Version);

    public long GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _pool.Return(this);
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>A bounded pool of <see cref="CommitWaiter"/>s.</summary>
internal sealed class WaiterPool
{
    private readonly CommitWaiter?[] _items;
    private readonly Lock _lock = new();
    private int _count;

    public WaiterPool(int capacity) => _items = new CommitWaiter?[capacity];

    public CommitWaiter Rent(long position, long result)
    {
        CommitWaiter? waiter = null;
        lock (_lock)
        {
            if (_count > 0)
            {
                waiter = _items[--_count];
                _items[_count] = null;
            }
        }

        waiter ??= new CommitWaiter(this);
        waiter.Arm(position, result);
        return waiter;
    }

    public void Return(CommitWaiter waiter)
    {
        lock (_lock)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = waiter;
            }
        }
    }
}
