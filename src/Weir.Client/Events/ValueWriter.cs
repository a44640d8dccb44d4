using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weir.Client.Events;

/// <summary>
/// Writes the values callers put in properties, traits and context, without reflection: the common types directly,
/// others through the caller's own <see cref="JsonSerializerOptions"/> (a source-generated context), or not at all.
/// </summary>
internal static class ValueWriter
{
    public static void WriteMembers(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?> members, JsonSerializerOptions? serializer)
    {
        // Dictionary's struct enumerator: no allocation for the usual case.
        if (members is Dictionary<string, object?> dictionary)
        {
            foreach (var (key, value) in dictionary)
            {
                writer.WritePropertyName(key);
                WriteValue(writer, value, serializer);
            }

            return;
        }

        foreach (var (key, value) in members)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value, serializer);
        }
    }

    /// <exception cref="NotSupportedException">A value of a type the client cannot write, and no serializer options that can.</exception>
    public static void WriteValue(Utf8JsonWriter writer, object? value, JsonSerializerOptions? serializer)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case double number:
                WriteFinite(writer, number);
                break;
            case float number:
                WriteFinite(writer, number);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case short number:
                writer.WriteNumberValue(number);
                break;
            case byte number:
                writer.WriteNumberValue(number);
                break;
            case sbyte number:
                writer.WriteNumberValue(number);
                break;
            case ushort number:
                writer.WriteNumberValue(number);
                break;
            case uint number:
                writer.WriteNumberValue(number);
                break;
            case ulong number:
                writer.WriteNumberValue(number);
                break;
            case DateTimeOffset time:
                writer.WriteStringValue(time);
                break;
            case DateTime time:
                writer.WriteStringValue(time);
                break;
            case DateOnly date:
                WriteFormatted(writer, date, "yyyy-MM-dd");
                break;
            case TimeOnly time:
                WriteFormatted(writer, time, "HH:mm:ss.FFFFFFF");
                break;
            case TimeSpan span:
                WriteFormatted(writer, span, "c");
                break;
            case Guid id:
                writer.WriteStringValue(id);
                break;
            case char character:
                writer.WriteStringValue(new ReadOnlySpan<char>(in character));
                break;
            case Enum member:
                writer.WriteStringValue(member.ToString());
                break;
            case Uri uri:
                writer.WriteStringValue(uri.OriginalString);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case JsonDocument document:
                document.RootElement.WriteTo(writer);
                break;
            case JsonNode node:
                node.WriteTo(writer);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case IReadOnlyDictionary<string, object?> members:
                writer.WriteStartObject();
                WriteMembers(writer, members, serializer);
                writer.WriteEndObject();
                break;
            case IDictionary<string, object?> members:
                writer.WriteStartObject();
                foreach (var (key, item) in members)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item, serializer);
                }

                writer.WriteEndObject();
                break;
            case IDictionary members:
                WriteDictionary(writer, members, serializer);
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item, serializer);
                }

                writer.WriteEndArray();
                break;
            default:
                WriteWithSerializer(writer, value, serializer);
                break;
        }
    }

    private static void WriteDictionary(Utf8JsonWriter writer, IDictionary members, JsonSerializerOptions? serializer)
    {
        writer.WriteStartObject();
        foreach (DictionaryEntry entry in members)
        {
            writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
            WriteValue(writer, entry.Value, serializer);
        }

        writer.WriteEndObject();
    }

    private static void WriteWithSerializer(Utf8JsonWriter writer, object value, JsonSerializerOptions? serializer)
    {
        if (serializer is null)
        {
            throw new NotSupportedException(
                $"a value of type {value.GetType()} cannot be written without WeirClientOptions.SerializerOptions that know the type");
        }

        JsonSerializer.Serialize(writer, value, serializer.GetTypeInfo(value.GetType()));
    }

    // JSON has no NaN or infinity; JavaScript's JSON.stringify writes null for them, and so does the client.
    private static void WriteFinite(Utf8JsonWriter writer, double number)
    {
        if (double.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void WriteFinite(Utf8JsonWriter writer, float number)
    {
        if (float.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void WriteFormatted<T>(Utf8JsonWriter writer, T value, string format) where T : ISpanFormattable
    {
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out var written, format, CultureInfo.InvariantCulture))
        {
            throw new NotSupportedException($"{typeof(T)} value {value} does not fit its format");
        }

        writer.WriteStringValue(text[..written]);
    }
}
