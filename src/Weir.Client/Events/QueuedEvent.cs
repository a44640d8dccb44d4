namespace Weir.Client.Events;

/// <summary>One event's JSON, in an array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>, waiting to be sent.</summary>
/// <param name="Buffer">Holds the JSON in its first <paramref name="Length"/> bytes; goes back to the pool once the event is resolved.</param>
/// <param name="Length">The JSON's length in bytes.</param>
/// <param name="EnqueuedAt">When it was queued, as a <see cref="TimeProvider.GetTimestamp"/> value, for the flush interval.</param>
internal readonly record struct QueuedEvent(byte[] Buffer, int Length, long EnqueuedAt)
{
    public ReadOnlySpan<byte> Json => Buffer.AsSpan(0, Length);
}
