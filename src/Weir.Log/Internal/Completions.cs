namespace Weir.Log.Internal;

/// <summary>
/// The waiters one flush released, completed together by one thread-pool work item. Their continuations run inline,
/// one after another, on that thread: one queued item and at most one thread wake-up per fsync instead of one per
/// request, and the flusher itself never runs request code.
/// </summary>
internal sealed class Completions : IThreadPoolWorkItem
{
    private readonly List<CommitWaiter> _waiters = [];
    private Func<Exception>? _failure;
    private Action<Completions>? _release;

    public int Count => _waiters.Count;

    public void Add(CommitWaiter waiter) => _waiters.Add(waiter);

    /// <summary>Completes every waiter on the thread pool, with success, or with a new exception each from <paramref name="failure"/>.</summary>
    public void Dispatch(Func<Exception>? failure, Action<Completions> release)
    {
        _failure = failure;
        _release = release;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Execute()
    {
        var failure = _failure;
        foreach (var waiter in _waiters)
        {
            if (failure is null)
            {
                waiter.Complete();
            }
            else
            {
                waiter.Fail(failure());
            }
        }

        _waiters.Clear();
        _failure = null;
        var release = _release!;
        _release = null;
        release(this);
    }
}
