namespace Weir.Client.Delivery;

/// <summary>
/// Wakes the sender when the queue has a full batch, a flush is asked for or the client stops. The sender calls
/// <see cref="Reset"/> before it looks at the queue, so a <see cref="Set"/> made after that look is never lost.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _source = New();

    public Task Task => Volatile.Read(ref _source).Task;

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    public void Reset()
    {
        if (_source.Task.IsCompleted)
        {
            Volatile.Write(ref _source, New());
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
