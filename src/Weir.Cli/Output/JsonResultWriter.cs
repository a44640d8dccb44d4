using System.Buffers;
using System.Text;
using System.Text.Json;
using Weir.DuckDb;
using Weir.Query.Execution;

namespace Weir.Cli.Output;

/// <summary>
/// Prints <c>{"columns":[{"name":…,"type":…}],"rows":[[…]],"elapsed_ms":…}</c>, the shape of the HTTP API's
/// <c>/api/v1/sql</c> response, on one line. Each chunk of rows is printed as soon as it is read.
/// </summary>
internal sealed class JsonResultWriter(TimeProvider time, long startedAt) : IResultWriter
{
    public void Write(DuckDbResult result, TextWriter output)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var json = new Utf8JsonWriter(buffer, JsonValueWriter.Options);
        json.WriteStartObject();
        json.WriteStartArray("columns");
        for (var i = 0; i < result.ColumnCount; i++)
        {
            json.WriteStartObject();
            json.WriteString("name", result.ColumnNames[i]);
            json.WriteString("type", result.ColumnTypes[i].SqlName);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("rows");
        var vectors = new DuckDbVector[result.ColumnCount];
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var c = 0; c < vectors.Length; c++)
                {
                    vectors[c] = chunk.GetVector(c);
                }

                for (var row = 0; row < chunk.RowCount; row++)
                {
                    json.WriteStartArray();
                    for (var c = 0; c < vectors.Length; c++)
                    {
                        JsonValueWriter.Write(json, ResultColumns.GetValue(vectors[c], row));
                    }

                    json.WriteEndArray();
                }
            }

            Drain(json, buffer, output);
        }

        json.WriteEndArray();
        json.WriteNumber("elapsed_ms", (long)time.GetElapsedTime(startedAt).TotalMilliseconds);
        json.WriteEndObject();
        Drain(json, buffer, output);
        output.WriteLine();
        output.Flush();
    }

    /// <summary>Moves what has been written so far to the output. Chunks end between values, so no character is split.</summary>
    private static void Drain(Utf8JsonWriter json, ArrayBufferWriter<byte> buffer, TextWriter output)
    {
        json.Flush();
        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        buffer.ResetWrittenCount();
    }
}
