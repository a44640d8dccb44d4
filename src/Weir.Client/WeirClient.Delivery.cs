using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Weir.Client.Delivery;
using ClientLog = Weir.Client.Logging.Log;

namespace Weir.Client;

/// <summary>The background sender: one loop that takes batches off the queue and delivers each before the next.</summary>
public sealed partial class WeirClient
{
    private async Task RunSenderAsync()
    {
        var abort = _abort.Token;
        try
        {
            while (!abort.IsCancellationRequested)
            {
                _wake.Reset();
                var wait = NextBatch();
                if (wait is null)
                {
                    return;
                }

                // Infinite (an empty queue) is negative, so test for "not zero", not for "positive".
                if (wait.Value != TimeSpan.Zero)
                {
                    await WaitForWorkAsync(wait.Value, abort).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    await DeliverAsync(abort).ConfigureAwait(false);
                }
                finally
                {
                    ResolveBatch();
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            ClientLog.SenderFailed(_logger, e);
        }
        finally
        {
            DropPending();
        }
    }

    /// <summary>
    /// Takes the next batch when one is due and returns zero; otherwise returns how long to wait (infinite for an
    /// empty queue), or null once the client is stopping and the queue is empty.
    /// </summary>
    private TimeSpan? NextBatch()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return _stopping ? null : Timeout.InfiniteTimeSpan;
            }

            // A flush waiter stays until everything queued before its call is resolved.
            var due = _stopping || _flushWaiters.Count > 0 || FullBatchQueued;
            if (!due)
            {
                var age = _time.GetElapsedTime(_pending.Peek().EnqueuedAt);
                if (age < _flushInterval)
                {
                    return _flushInterval - age;
                }
            }

            var size = BatchBody.EnvelopeBytes;
            while (_batch.Count < _maxBatchEvents && _pending.TryPeek(out var next))
            {
                var added = next.Length + (_batch.Count > 0 ? 1 : 0);
                if (_batch.Count > 0 && size + added > _maxBatchBytes)
                {
                    break;
                }

                _pending.Dequeue();
                _pendingBytes -= next.Length + 1;
                _batch.Add(next);
                size += added;
            }

            _inFlight = _batch.Count;
            return TimeSpan.Zero;
        }
    }

    private async Task WaitForWorkAsync(TimeSpan wait, CancellationToken abort)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await _wake.Task.WaitAsync(abort).ConfigureAwait(false);
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var delay = Task.Delay(wait, _time, timer.Token);
        await Task.WhenAny(_wake.Task, delay).ConfigureAwait(false);
        // Stops the delay's timer when the signal came first.
        await timer.CancelAsync().ConfigureAwait(false);
        abort.ThrowIfCancellationRequested();
    }

    /// <summary>Sends the batch until the server takes it, refuses it, or the retries run out; counts the outcome.</summary>
    private async Task DeliverAsync(CancellationToken abort)
    {
        var count = _batch.Count;
        for (var retry = 0; ; retry++)
        {
            if (retry > 0)
            {
                Stats.AddRetry();
            }

            Stats.AddRequest();
            Attempt attempt;
            try
            {
                attempt = await SendOnceAsync(abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                Stats.AddDropped(DropReason.Shutdown, count);
                throw;
            }

            if (attempt.Status is >= 200 and < 300)
            {
                CountAccepted(count, attempt.Answer);
                return;
            }

            Stats.AddFailedRequest();
            if (!attempt.Retryable)
            {
                Stats.AddDropped(DropReason.Rejected, count);
                ClientLog.BatchRejected(_logger, count, attempt.Status, attempt.Answer?.Code, attempt.Answer?.Field, attempt.Answer?.Error ?? attempt.Reason);
                return;
            }

            if (retry >= _maxRetries)
            {
                Stats.AddDropped(DropReason.RetriesExhausted, count);
                ClientLog.RetriesExhausted(_logger, count, retry + 1, attempt.Reason);
                return;
            }

            var delay = Backoff.Delay(retry + 1, _minRetryDelay, _maxRetryDelay, attempt.RetryAfter);
            ClientLog.SendFailed(_logger, count, attempt.Reason, retry + 1, _maxRetries, delay);
            try
            {
                await Task.Delay(delay, _time, abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Stats.AddDropped(DropReason.Shutdown, count);
                throw;
            }
        }
    }

    private void CountAccepted(int count, ServerAnswer? answer)
    {
        var rejected = Math.Clamp(answer?.Rejected ?? 0, 0, count);
        Stats.AddSent(count - rejected);
        if (rejected > 0)
        {
            Stats.AddDropped(DropReason.Rejected, rejected);
            var first = answer!.Errors is { Count: > 0 } errors ? errors[0] : null;
            ClientLog.EventsRejected(_logger, count - rejected, rejected, first?.Field, first?.Code, first?.Message);
        }
    }

    private async Task<Attempt> SendOnceAsync(CancellationToken abort)
    {
        var body = _body.Build(_batch, _time.GetUtcNow(), _gzip);
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        request.Headers.Authorization = _authorization;
        using var timeout = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var answer = await ReadAnswerAsync(response, linked.Token).ConfigureAwait(false);
            var retryable = status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500;
            var reason = answer?.Code is { } code ? $"HTTP {status} {code}" : $"HTTP {status}";
            return new Attempt(status, retryable, reason, answer, RetryAfterOf(response));
        }
        catch (HttpRequestException e)
        {
            return new Attempt(0, Retryable: true, e.Message, null, null);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            return new Attempt(0, Retryable: true, $"no answer within {_requestTimeout}", null, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A handler or a proxy in the HttpClient's pipeline failing in its own way: retried and in the end
            // counted like a network error, rather than stopping the sender for every later event.
            return new Attempt(0, Retryable: true, $"{e.GetType().Name}: {e.Message}", null, null);
        }
    }

    private static async Task<ServerAnswer?> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Weir's answers are a few hundred bytes; a proxy's error page is neither JSON nor worth reading whole.
        const int MaxAnswerBytes = 64 * 1024;
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxAnswerBytes);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var length = 0;
                int read;
                while (length < MaxAnswerBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, MaxAnswerBytes - length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                return JsonSerializer.Deserialize(buffer.AsSpan(0, length), ClientJsonContext.Default.ServerAnswer);
            }
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow(),
        _ => null,
    };

    /// <summary>Gives the batch's buffers back and completes the flushes it finished.</summary>
    private void ResolveBatch()
    {
        foreach (var queued in _batch)
        {
            ArrayPool<byte>.Shared.Return(queued.Buffer);
        }

        lock (_gate)
        {
            _resolvedTotal += _batch.Count;
            _inFlight = 0;
            CompleteFlushes();
        }

        _batch.Clear();
        Volatile.Write(ref _queueFullLogged, 0);
    }

    /// <summary>Once the sender ends, whatever is still queued is dropped, so no flush waits forever.</summary>
    private void DropPending()
    {
        lock (_gate)
        {
            _stopping = true;
            var dropped = _pending.Count;
            while (_pending.TryDequeue(out var queued))
            {
                ArrayPool<byte>.Shared.Return(queued.Buffer);
            }

            _pendingBytes = 0;
            _resolvedTotal += dropped;
            Stats.AddDropped(DropReason.Shutdown, dropped);
            CompleteFlushes();
        }
    }

    private void CompleteFlushes()
    {
        for (var i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            if (_flushWaiters[i].Target <= _resolvedTotal)
            {
                _flushWaiters[i].Done.TrySetResult();
                _flushWaiters.RemoveAt(i);
            }
        }
    }

    /// <summary>One request's outcome: its status (0 when no answer came), whether to retry, and why.</summary>
    private readonly record struct Attempt(int Status, bool Retryable, string Reason, ServerAnswer? Answer, TimeSpan? RetryAfter);
}
