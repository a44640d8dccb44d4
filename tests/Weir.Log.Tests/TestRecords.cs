using System.Buffers.Binary;
using System.Text;

namespace Weir.Log.Tests;

/// <summary>Helpers to make recognisable records and read a whole log back.</summary>
internal static class TestRecords
{
    /// <summary>A payload that names its writer and sequence number, padded to <paramref name="length"/> with a pattern.</summary>
    public static byte[] Make(int writer, int sequence, int length = 64)
    {
        var payload = new byte[Math.Max(length, 8)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, writer);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), sequence);
        for (var i = 8; i < payload.Length; i++)
        {
            payload[i] = (byte)(writer * 31 + sequence * 7 + i);
        }

        return payload;
    }

    public static (int Writer, int Sequence) Parse(ReadOnlySpan<byte> payload)
    {
        var writer = BinaryPrimitives.ReadInt32LittleEndian(payload);
        var sequence = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        Assert.True(payload.SequenceEqual(Make(writer, sequence, payload.Length)), $"payload of {writer}/{sequence} is damaged");
        return (writer, sequence);
    }

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Every committed record from the oldest kept, as (position, payload copy).</summary>
    public static List<(long Position, byte[] Payload)> ReadAll(DurableLog log, long from = -1)
    {
        var records = new List<(long, byte[])>();
        using var reader = log.OpenReader(from < 0 ? log.StartPosition : from);
        while (true)
        {
            var batch = reader.Read(500);
            if (batch.Count == 0)
            {
                return records;
            }

            foreach (var record in batch)
            {
                records.Add((record.Position, record.Payload.ToArray()));
            }
        }
    }

    public static LogOptions Options(string directory, long segmentBytes = 64 << 10, int maxBatchBytes = 64 << 10) => new()
    {
        Directory = directory,
        SegmentBytes = segmentBytes,
        MaxBatchBytes = maxBatchBytes,
        MaxRecordBytes = Math.Min(32 << 10, maxBatchBytes - 8),
    };
}
