using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Weir.Query.Execution;

/// <summary>Writes one result value as JSON, in the shape of the HTTP API's <c>/api/v1/sql</c> rows.</summary>
public static class JsonValueWriter
{
    /// <summary>Readable output: non-ASCII text stays as it is. The output is never embedded in HTML.</summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case long n:
                json.WriteNumberValue(n);
                break;
            case int n:
                json.WriteNumberValue(n);
                break;
            case short n:
                json.WriteNumberValue(n);
                break;
            case sbyte n:
                json.WriteNumberValue(n);
                break;
            case ulong n:
                json.WriteNumberValue(n);
                break;
            case uint n:
                json.WriteNumberValue(n);
                break;
            case ushort n:
                json.WriteNumberValue(n);
                break;
            case byte n:
                json.WriteNumberValue(n);
                break;
            case decimal n:
                json.WriteNumberValue(n);
                break;
            // HUGEINT and UHUGEINT stay exact numbers; a reader that needs all 128 bits can have them.
            case Int128 n:
                json.WriteRawValue(n.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                break;
            case UInt128 n:
                json.WriteRawValue(n.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                break;
            // JSON has no NaN or infinity; they are written as the strings "NaN", "Infinity" and "-Infinity".
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                json.WriteNumberValue(f);
                break;
            case double or float:
                json.WriteStringValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                json.WriteBase64StringValue(bytes);
                break;
            case object?[] list:
                json.WriteStartArray();
                foreach (var item in list)
                {
                    Write(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(ValueText.Format(value));
                break;
        }
    }

    /// <summary>A list as JSON text, for CSV fields and table cells.</summary>
    public static string ToJson(object?[] list)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            Write(json, list);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
