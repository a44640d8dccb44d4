using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Weir.Bench.Ingest;

/// <summary>
/// An open-loop load generator: requests are due on a fixed schedule whatever the server does, and each latency is
/// measured from the moment the request was due, so a stall shows in the percentiles instead of hiding behind the
/// requests it held back (coordinated omission). Prints wrk's summary lines, which run.sh parses.
/// </summary>
/// <remarks>
/// It shares the machine's cores with the server, so it has to be cheap per request: plain sockets, one request
/// prepared once as bytes, HTTP/1.1 keep-alive, and a pacer that wakes every millisecond and releases every request
/// due by then. A request released late by the pacer, or waiting for a free connection, is charged the delay: the
/// figures can only be pessimistic. (An HttpClient-based version saturated at about 12 000 req/s against a no-op
/// server here, so it measured itself.)
/// </remarks>
internal static class OpenLoopLoad
{
    public static async Task<int> RunAsync(string url, double rate, TimeSpan duration, int connections, string bodyFile, string? basicAuth)
    {
        var uri = new Uri(url);
        var body = (await File.ReadAllTextAsync(bodyFile).ConfigureAwait(false)).TrimEnd();
        var request = BuildRequest(uri, body, basicAuth);
        var endpoint = new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);

        // The first seconds run at the same rate but are not counted: they pay for the JIT and for opening connections.
        var warmup = (int)(rate * Math.Min(2, duration.TotalSeconds / 4));
        var count = warmup + (int)(rate * duration.TotalSeconds);
        var latencies = new double[count];
        var failed = 0;
        var frequency = (double)Stopwatch.Frequency;
        var due = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleWriter = true });

        var sockets = new Socket[connections];
        for (var c = 0; c < connections; c++)
        {
            sockets[c] = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[c].ConnectAsync(endpoint).ConfigureAwait(false);
        }

        var start = Stopwatch.GetTimestamp();
        long DueTime(int index) => start + (long)(index * frequency / rate);
        var workers = new Task[connections];
        for (var c = 0; c < connections; c++)
        {
            var socket = sockets[c];
            workers[c] = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                await foreach (var index in due.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    var ok = await ExchangeAsync(socket, request, buffer).ConfigureAwait(false);
                    latencies[index] = (Stopwatch.GetTimestamp() - DueTime(index)) * 1000 / frequency;
                    if (!ok && index >= warmup)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            });
        }

        // The pacer: a dedicated thread, so its wake-ups do not wait behind the thread pool's queue.
        var pacer = new Thread(() =>
        {
            var next = 0;
            while (next < count)
            {
                var now = Stopwatch.GetTimestamp();
                while (next < count && DueTime(next) <= now)
                {
                    due.Writer.TryWrite(next++);
                }

                Thread.Sleep(1);
            }

            due.Writer.Complete();
        })
        { IsBackground = true, Name = "pacer" };
        pacer.Start();
        await Task.WhenAll(workers).ConfigureAwait(false);
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        var elapsed = (Stopwatch.GetTimestamp() - start) / frequency - (warmup / rate);
        var measured = latencies[warmup..];
        Array.Sort(measured);
        count -= warmup;

        double Percentile(double p) => measured[Math.Min(count - 1, (int)Math.Ceiling(p * count) - 1)];
        Console.WriteLine($"Open-loop load: {rate:0} req/s scheduled for {duration.TotalSeconds:0} s over {connections} connections");
        Console.WriteLine("  Latency Distribution (from each request's due time)");
        foreach (var p in new[] { 0.5, 0.75, 0.9, 0.99, 0.999 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p * 100,5:0.###}%   {Percentile(p):0.00}ms"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count} requests in {elapsed:0.00}s"));
        if (failed > 0)
        {
            Console.WriteLine($"  Non-2xx or 3xx responses: {failed}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Requests/sec: {count / elapsed:0.00}"));
        return 0;
    }

    private static byte[] BuildRequest(Uri uri, string body, string? basicAuth)
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST {uri.PathAndQuery} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {uri.Authority}\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {content.Length}\r\n");
        if (basicAuth is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: Basic {basicAuth}\r\n");
        }

        head.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. content];
    }

    /// <summary>Sends the request and reads one response (headers and a Content-Length body); true for a 2xx.</summary>
    private static async Task<bool> ExchangeAsync(Socket socket, byte[] request, byte[] buffer)
    {
        await socket.SendAsync(request, SocketFlags.None).ConfigureAwait(false);
        var length = 0;
        var headerEnd = -1;
        var total = -1;
        while (total < 0 || length < total)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            length += read;
            if (headerEnd < 0 && buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) is var end and >= 0)
            {
                headerEnd = end + 4;
                total = headerEnd + ContentLength(buffer.AsSpan(0, headerEnd));
            }
        }

        // "HTTP/1.1 2xx"
        return buffer[9] == (byte)'2';
    }

    private static int ContentLength(ReadOnlySpan<byte> headers)
    {
        var text = Encoding.ASCII.GetString(headers);
        var at = text.IndexOf("\r\nContent-Length:", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            throw new IOException("The response has no Content-Length; this generator reads only such responses.");
        }

        var start = at + "\r\nContent-Length:".Length;
        var end = text.IndexOf('\r', start);
        return int.Parse(text.AsSpan(start, end - start).Trim(), CultureInfo.InvariantCulture);
    }
}
