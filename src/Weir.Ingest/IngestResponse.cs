using System.Buffers;
using System.Text.Json;
using Weir.Core.Events;

namespace Weir.Ingest;

/// <summary>
/// The JSON body answering an ingest request. Success is Segment's <c>{"success":true}</c>; with rejected events it
/// adds <c>accepted</c>, <c>rejected</c> and <c>errors</c>; a failure adds <c>error</c> (a message naming the field),
/// <c>code</c> and <c>field</c>.
/// </summary>
public static class IngestResponse
{
    /// <summary>Writes the response body for <paramref name="result"/>.</summary>
    public static void Write(IBufferWriter<byte> output, in IngestResult result)
    {
        using var writer = new Utf8JsonWriter(output, CanonicalEventWriter.WriterOptions);
        Write(writer, in result);
    }

    /// <summary>Writes the response body for <paramref name="result"/>.</summary>
    public static void Write(Utf8JsonWriter writer, in IngestResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var success = result.IsSuccess;
        writer.WriteStartObject();
        writer.WriteBoolean("success"u8, success);
        var first = result.BodyError ?? (result.Errors.Count > 0 ? result.Errors[0] : null);
        if (!success && first is not null)
        {
            writer.WriteString("error"u8, first.ToString());
            writer.WriteString("code"u8, first.Code);
            if (first.Field is not null)
            {
                writer.WriteString("field"u8, first.Field);
            }
        }

        if (result.Errors.Count > 0 || result.BodyError is { Kind: IngestErrorKind.Unavailable })
        {
            writer.WriteNumber("accepted"u8, result.Accepted);
            writer.WriteNumber("rejected"u8, result.Rejected);
        }

        if (result.Errors.Count > 0)
        {
            writer.WriteStartArray("errors"u8);
            foreach (var error in result.Errors)
            {
                writer.WriteStartObject();
                if (error.Index >= 0)
                {
                    writer.WriteNumber("index"u8, error.Index);
                }

                if (error.Field is not null)
                {
                    writer.WriteString("field"u8, error.Field);
                }

                writer.WriteString("code"u8, error.Code);
                writer.WriteString("message"u8, error.ToString());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>The response body for <paramref name="result"/> as a new array.</summary>
    public static byte[] ToUtf8(in IngestResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, in result);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An error body for a failure found outside the parsers (e.g. the server's 401 for an unknown key).</summary>
    public static byte[] ForError(IngestError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return ToUtf8(IngestResult.Fail(error));
    }
}
