using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Weir.Log.Format;
using Weir.Log.Internal;
using Weir.Log.IO;

namespace Weir.Log.Recovery;

/// <summary>What recovery leaves behind: the segments, oldest first, and where appends continue.</summary>
internal sealed class RecoveredLog
{
    public required List<Segment> Segments { get; init; }
    public required long EndPosition { get; init; }
    public required long StartPosition { get; init; }

    /// <summary>The last segment's file length after recovery and the max batch its header allows (0 without segments).</summary>
    public required long LastFileLength { get; init; }
    public required int LastMaxBatchBytes { get; init; }
    public required LogRecoveryReport Report { get; init; }
}

/// <summary>
/// Recovery at open. Every segment is read and every frame's checksum verified. The rules (docs/log.md, "Recovery"):
/// <list type="bullet">
/// <item>Segments must follow each other: a segment's header names where its predecessor ended.</item>
/// <item>A bad frame in the last segment, no further than that segment's max batch from the end of the file, is a torn
/// tail (the last write was in flight): the file is cut there.</item>
/// <item>Any other damage cannot come from a crash. It stops the open with a <see cref="LogCorruptionException"/> naming the
/// file and offset, unless <see cref="LogOptions.Salvage"/> is set: then the valid prefix is kept and the rest moved aside.</item>
/// </list>
/// </summary>
internal static class LogRecovery
{
    /// <summary>Where recovery found damage; <see cref="WholeFile"/> when the header is wrong, so no frame in it can be trusted.</summary>
    private sealed record Damage(int SegmentIndex, long Offset, string Problem, bool WholeFile);

    public static RecoveredLog Run(LogOptions options, ILogFileSystem fs)
    {
        var directory = options.Directory;
        var temporaryDeleted = 0;
        var files = new List<(long Base, string Path)>();
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(SegmentFormat.TempExtension, StringComparison.Ordinal))
            {
                File.Delete(path);
                temporaryDeleted++;
            }
            else if (SegmentFormat.TryParseFileName(name, out var basePosition))
            {
                files.Add((basePosition, path));
            }
        }

        files.Sort((a, b) => a.Base.CompareTo(b.Base));
        if (temporaryDeleted > 0)
        {
            fs.SyncDirectory(directory);
        }

        var segments = new List<Segment>(files.Count);
        long records = 0, previousEnd = -1, lastFileLength = 0, tornBytes = 0, tornOffset = 0;
        var lastMaxBatch = 0;
        string? tornFile = null;
        Damage? damage = null;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        Span<byte> headerBytes = stackalloc byte[SegmentFormat.HeaderLength];
        try
        {
            for (var i = 0; i < files.Count && damage is null; i++)
            {
                var (basePosition, path) = files[i];
                var isLast = i == files.Count - 1;
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                var fileLength = RandomAccess.GetLength(handle);

                var headerRead = RandomAccess.Read(handle, headerBytes, 0);
                var status = SegmentFormat.TryReadHeader(headerBytes[..headerRead], out var header);
                if (status != HeaderStatus.Valid)
                {
                    damage = new Damage(i, 0, $"the segment header is invalid ({status})", WholeFile: true);
                    break;
                }

                if (header.BasePosition != basePosition)
                {
                    damage = new Damage(i, 16, $"the header's base position {header.BasePosition} does not match the file name", WholeFile: true);
                    break;
                }

                if (previousEnd >= 0 && header.PreviousEnd != previousEnd)
                {
                    damage = new Damage(i, 24, $"the segment says its predecessor ended at {header.PreviousEnd}, but it ends at {previousEnd} (a segment is missing or was altered)", WholeFile: true);
                    break;
                }

                if (buffer.Length < header.MaxBatchBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(header.MaxBatchBytes);
                }

                var frameStatus = ScanFrames(handle, fileLength, header.MaxBatchBytes - SegmentFormat.FrameHeaderLength, buffer, out var validEnd, out var count);
                if (frameStatus != FrameStatus.Valid)
                {
                    if (isLast && fileLength - validEnd <= header.MaxBatchBytes)
                    {
                        fs.SetLength(handle, validEnd);
                        fs.SyncData(handle);
                        tornBytes = fileLength - validEnd;
                        tornFile = path;
                        tornOffset = validEnd;
                        fileLength = validEnd;
                    }
                    else
                    {
                        records += count;
                        segments.Add(new Segment(path, basePosition, header.PreviousEnd));
                        previousEnd = basePosition + (validEnd - SegmentFormat.HeaderLength);
                        damage = new Damage(i, validEnd, Describe(frameStatus, isLast), WholeFile: false);
                        lastFileLength = validEnd;
                        lastMaxBatch = header.MaxBatchBytes;
                        break;
                    }
                }

                records += count;
                segments.Add(new Segment(path, basePosition, header.PreviousEnd));
                previousEnd = basePosition + (validEnd - SegmentFormat.HeaderLength);
                lastFileLength = fileLength;
                lastMaxBatch = header.MaxBatchBytes;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        IReadOnlyList<string> corruptFiles = [];
        long dropped = 0;
        string? corruption = null;
        if (damage is not null)
        {
            var path = files[damage.SegmentIndex].Path;
            if (!options.Salvage)
            {
                throw new LogCorruptionException(path, damage.Offset, damage.Problem);
            }

            corruption = $"{damage.Problem} in '{path}' at byte offset {damage.Offset}";
            // A segment damaged whole was never added, so the last kept segment's length and max batch are already right.
            (corruptFiles, dropped) = MoveAside(options, fs, files, damage);
        }

        if (segments.Count == 0)
        {
            lastFileLength = 0;
            lastMaxBatch = 0;
            previousEnd = Math.Max(previousEnd, damage is null || files.Count == 0 ? 0 : files[damage.SegmentIndex].Base);
        }

        for (var i = 0; i < segments.Count - 1; i++)
        {
            segments[i].SealedEnd = segments[i + 1].PreviousEnd;
        }

        var end = Math.Max(previousEnd, 0);
        return new RecoveredLog
        {
            Segments = segments,
            EndPosition = end,
            StartPosition = segments.Count > 0 ? segments[0].BasePosition : end,
            LastFileLength = lastFileLength,
            LastMaxBatchBytes = lastMaxBatch,
            Report = new LogRecoveryReport
            {
                Segments = segments.Count,
                RecordsRecovered = records,
                EndPosition = end,
                StartPosition = segments.Count > 0 ? segments[0].BasePosition : end,
                TornBytesTruncated = tornBytes,
                TornTailFile = tornFile,
                TornTailOffset = tornOffset,
                Corruption = corruption,
                SalvagedBytesDropped = dropped,
                CorruptFiles = corruptFiles,
                TemporaryFilesDeleted = temporaryDeleted,
            },
        };
    }

    private static string Describe(FrameStatus status, bool isLast)
    {
        var what = status switch
        {
            FrameStatus.BadChecksum => "a record fails its checksum",
            FrameStatus.BadLength => "a record has an impossible length",
            _ => "a record is cut short",
        };
        return isLast ? what + " further from the end than any single write reaches (not a torn tail)" : what + " in a segment that is not the last";
    }

    /// <summary>
    /// Reads the frames after the header. Returns <see cref="FrameStatus.Valid"/> when they run cleanly to the end of the
    /// file, otherwise the status of the first bad frame, whose offset is <paramref name="validEnd"/>. Frames are never
    /// longer than the buffer, which holds at least a max batch.
    /// </summary>
    internal static FrameStatus ScanFrames(SafeFileHandle handle, long fileLength, int maxPayload, byte[] buffer, out long validEnd, out long count)
    {
        validEnd = SegmentFormat.HeaderLength;
        count = 0;
        var filled = 0;
        var start = 0;
        var readOffset = (long)SegmentFormat.HeaderLength;
        while (true)
        {
            var status = SegmentFormat.TryReadFrame(buffer.AsSpan(start, filled - start), maxPayload, out var payloadLength);
            if (status == FrameStatus.Valid)
            {
                var frame = SegmentFormat.FrameHeaderLength + payloadLength;
                start += frame;
                validEnd += frame;
                count++;
                continue;
            }

            if (status != FrameStatus.Incomplete)
            {
                return status;
            }

            if (readOffset >= fileLength)
            {
                return start == filled ? FrameStatus.Valid : FrameStatus.Incomplete;
            }

            var remaining = filled - start;
            buffer.AsSpan(start, remaining).CopyTo(buffer);
            start = 0;
            filled = remaining;
            var toRead = (int)Math.Min(buffer.Length - filled, fileLength - readOffset);
            var read = RandomAccess.Read(handle, buffer.AsSpan(filled, toRead), readOffset);
            if (read <= 0)
            {
                return FrameStatus.Incomplete;
            }

            filled += read;
            readOffset += read;
        }
    }

    private static (IReadOnlyList<string> Files, long Bytes) MoveAside(
        LogOptions options, ILogFileSystem fs, List<(long Base, string Path)> files, Damage damage)
    {
        var moved = new List<string>();
        long bytes = 0;
        var damaged = files[damage.SegmentIndex].Path;
        if (damage.WholeFile)
        {
            bytes += new FileInfo(damaged).Length;
            moved.Add(MoveToCorrupt(damaged));
        }
        else
        {
            var target = FreeName($"{damaged}.from-{damage.Offset}.corrupt");
            using (var source = File.OpenHandle(damaged, FileMode.Open, FileAccess.ReadWrite))
            {
                var length = RandomAccess.GetLength(source);
                using (var destination = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write))
                {
                    var chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
                    try
                    {
                        for (var offset = damage.Offset; offset < length;)
                        {
                            var read = RandomAccess.Read(source, chunk.AsSpan(0, (int)Math.Min(chunk.Length, length - offset)), offset);
                            if (read <= 0)
                            {
                                break;
                            }

                            fs.Write(destination, chunk.AsSpan(0, read), offset - damage.Offset);
                            offset += read;
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(chunk);
                    }

                    fs.SyncData(destination);
                }

                bytes += length - damage.Offset;
                fs.SetLength(source, damage.Offset);
                fs.SyncData(source);
            }

            moved.Add(target);
        }

        for (var j = damage.SegmentIndex + 1; j < files.Count; j++)
        {
            bytes += new FileInfo(files[j].Path).Length;
            moved.Add(MoveToCorrupt(files[j].Path));
        }

        fs.SyncDirectory(options.Directory);
        return (moved, bytes);
    }

    private static string MoveToCorrupt(string path)
    {
        var target = FreeName(path + ".corrupt");
        File.Move(path, target);
        return target;
    }

    private static string FreeName(string path)
    {
        var candidate = path;
        for (var n = 1; File.Exists(candidate); n++)
        {
            candidate = $"{path}.{n}";
        }

        return candidate;
    }
}
