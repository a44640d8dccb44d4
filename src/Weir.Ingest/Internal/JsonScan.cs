using System.Buffers.Text;
using System.Text.Json;

namespace Weir.Ingest.Internal;

/// <summary>What a scan of a JSON value found wrong, if anything.</summary>
internal enum ScanError
{
    None,
    TooDeep,
    StringTooLong,
    TooManyKeys,
    InvalidEscape,
}

/// <summary>What to pick out of an object while scanning it.</summary>
internal enum CaptureMode
{
    None,

    /// <summary>Top-level <c>url</c>, <c>path</c>, <c>search</c>, <c>title</c>, <c>referrer</c>, <c>name</c> strings.</summary>
    Properties,

    /// <summary>Segment's <c>context</c>: library, page, screen, userAgent, ip, locale.</summary>
    Context,
}

/// <summary>
/// Walks one JSON object token by token, enforcing the limits on depth, key count and string length, checking that
/// escaped strings decode to valid Unicode, and capturing the fields of <see cref="CaptureMode"/>.
/// </summary>
internal static class JsonScan
{
    private enum Key
    {
        Other,
        Url,
        Path,
        Search,
        Title,
        Referrer,
        Name,
        Version,
        Width,
        Height,
        Library,
        Page,
        Screen,
        UserAgent,
        Ip,
        Locale,
    }

    /// <summary>
    /// Scans the object whose <see cref="JsonTokenType.StartObject"/> the reader is on, up to its end. The reader is
    /// over <paramref name="source"/> (which the captured spans point into). <paramref name="outerLevels"/> counts the
    /// levels above this value that the depth limit includes (a value nested in <c>properties</c> starts at 1).
    /// </summary>
    public static ScanError ScanObject(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> source,
        IngestOptions options,
        IngestScratch scratch,
        CaptureMode mode,
        ref Captured captured,
        int outerLevels = 0)
    {
        if (outerLevels + 1 > options.MaxDepth)
        {
            return ScanError.TooDeep;
        }

        var baseDepth = reader.CurrentDepth;
        var start = (int)reader.TokenStartIndex;
        var keys = 0;
        var top = Key.Other;
        var sub = Key.Other;
        while (reader.Read())
        {
            var depth = reader.CurrentDepth;
            switch (reader.TokenType)
            {
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (depth == baseDepth)
                    {
                        captured.Raw = source[start..(int)reader.BytesConsumed];
                        return ScanError.None;
                    }

                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (depth - baseDepth + 1 + outerLevels > options.MaxDepth)
                    {
                        return ScanError.TooDeep;
                    }

                    break;
                case JsonTokenType.PropertyName:
                    {
                        var error = CheckString(ref reader, options);
                        if (error != ScanError.None)
                        {
                            return error;
                        }

                        if (depth == baseDepth + 1)
                        {
                            if (++keys > options.MaxKeys)
                            {
                                return ScanError.TooManyKeys;
                            }

                            top = mode == CaptureMode.None ? Key.Other : Identify(ref reader, mode, depth: 1);
                            sub = Key.Other;
                            if (top == Key.Ip && mode == CaptureMode.Context)
                            {
                                captured.HasIp = true;
                            }
                        }
                        else if (depth == baseDepth + 2 && top is Key.Library or Key.Page or Key.Screen)
                        {
                            sub = Identify(ref reader, mode, depth: 2);
                        }

                        break;
                    }

                case JsonTokenType.String:
                    {
                        var error = CheckString(ref reader, options);
                        if (error != ScanError.None)
                        {
                            return error;
                        }

                        if (mode == CaptureMode.None)
                        {
                            break;
                        }

                        if (depth == baseDepth + 1 && top != Key.Other)
                        {
                            if (!Capture(ref reader, scratch, mode == CaptureMode.Properties ? top : ContextTop(top), ref captured))
                            {
                                return ScanError.InvalidEscape;
                            }
                        }
                        else if (depth == baseDepth + 2 && sub != Key.Other)
                        {
                            var target = top switch
                            {
                                Key.Library => sub switch
                                {
                                    Key.Name => Key.Library,
                                    Key.Version => Key.Version,
                                    _ => Key.Other,
                                },
                                Key.Page => sub is Key.Url or Key.Path or Key.Search or Key.Title or Key.Referrer ? sub : Key.Other,
                                _ => Key.Other,
                            };
                            if (!Capture(ref reader, scratch, target, ref captured))
                            {
                                return ScanError.InvalidEscape;
                            }
                        }

                        break;
                    }

                case JsonTokenType.Number:
                    if (depth == baseDepth + 2 && top == Key.Screen && sub is Key.Width or Key.Height)
                    {
                        var value = reader.TryGetInt32(out var integer) ? integer
                            : reader.TryGetDouble(out var real) && real is >= 0 and < int.MaxValue ? (int)real
                            : 0;
                        if (value > 0)
                        {
                            if (sub == Key.Width)
                            {
                                captured.ScreenWidth = value;
                            }
                            else
                            {
                                captured.ScreenHeight = value;
                            }
                        }
                    }

                    break;
            }
        }

        // Unreachable for a reader over complete input: it throws on a truncated object.
        throw new JsonException("The object ended early.");
    }

    /// <summary>Checks the length and, for escaped strings, the surrogate pairing of the current string token.</summary>
    public static ScanError CheckString(ref Utf8JsonReader reader, IngestOptions options)
    {
        var raw = reader.ValueSpan;
        if (raw.Length > options.MaxStringLength)
        {
            return ScanError.StringTooLong;
        }

        return reader.ValueIsEscaped && !EscapesAreValid(raw) ? ScanError.InvalidEscape : ScanError.None;
    }

    /// <summary>
    /// The content of the current string token, unescaped into the arena when needed. False when the escapes do not
    /// form valid Unicode (a lone surrogate).
    /// </summary>
    public static bool TryGetString(scoped ref Utf8JsonReader reader, IngestScratch scratch, out ReadOnlySpan<byte> value)
    {
        if (!reader.ValueIsEscaped)
        {
            value = reader.ValueSpan;
            return true;
        }

        var raw = reader.ValueSpan;
        if (!EscapesAreValid(raw))
        {
            value = default;
            return false;
        }

        var destination = scratch.TakeArena(raw.Length);
        if (destination.Length < raw.Length)
        {
            value = default;
            return false;
        }

        try
        {
            var written = reader.CopyString(destination);
            scratch.ReturnArena(raw.Length - written);
            value = destination[..written];
            return true;
        }
        catch (InvalidOperationException)
        {
            scratch.ReturnArena(raw.Length);
            value = default;
            return false;
        }
    }

    /// <summary>
    /// True when every <c>\u</c> escape in <paramref name="raw"/> (a JSON string's encoded content, whose escape
    /// syntax the reader already checked) pairs surrogates correctly.
    /// </summary>
    public static bool EscapesAreValid(ReadOnlySpan<byte> raw)
    {
        var expectLow = false;
        var i = raw.IndexOf((byte)'\\');
        if (i < 0)
        {
            return true;
        }

        while (i < raw.Length)
        {
            if (raw[i] != '\\')
            {
                if (expectLow)
                {
                    return false;
                }

                var next = raw[i..].IndexOf((byte)'\\');
                if (next < 0)
                {
                    return true;
                }

                i += next;
                continue;
            }

            if (i + 1 < raw.Length && raw[i + 1] == 'u' && i + 6 <= raw.Length &&
                Utf8Parser.TryParse(raw.Slice(i + 2, 4), out ushort unit, out var consumed, 'X') && consumed == 4)
            {
                var isHigh = unit is >= 0xD800 and <= 0xDBFF;
                var isLow = unit is >= 0xDC00 and <= 0xDFFF;
                if (expectLow != isLow)
                {
                    return false;
                }

                expectLow = isHigh;
                i += 6;
            }
            else
            {
                if (expectLow)
                {
                    return false;
                }

                i += 2;
            }
        }

        return !expectLow;
    }

    private static Key ContextTop(Key top) => top switch
    {
        Key.UserAgent or Key.Ip or Key.Locale => top,
        _ => Key.Other,
    };

    private static bool Capture(scoped ref Utf8JsonReader reader, IngestScratch scratch, Key target, ref Captured captured)
    {
        if (target == Key.Other)
        {
            return true;
        }

        if (!TryGetString(ref reader, scratch, out var value))
        {
            return false;
        }

        switch (target)
        {
            case Key.Url: captured.Url = value; break;
            case Key.Path: captured.Path = value; break;
            case Key.Search: captured.Search = value; break;
            case Key.Title: captured.Title = value; break;
            case Key.Referrer: captured.Referrer = value; break;
            case Key.Name: captured.Name = value; break;
            case Key.UserAgent: captured.UserAgent = value; break;
            case Key.Ip: captured.Ip = value; break;
            case Key.Locale: captured.Locale = value; break;
            case Key.Library: captured.LibraryName = value; break;
            case Key.Version: captured.LibraryVersion = value; break;
        }

        return true;
    }

    private static Key Identify(ref Utf8JsonReader reader, CaptureMode mode, int depth)
    {
        if (reader.ValueIsEscaped || reader.ValueSpan.Length > 9)
        {
            return Key.Other;
        }

        var name = reader.ValueSpan;
        if (depth == 1 && mode == CaptureMode.Context)
        {
            return name switch
            {
                _ when name.SequenceEqual("library"u8) => Key.Library,
                _ when name.SequenceEqual("page"u8) => Key.Page,
                _ when name.SequenceEqual("screen"u8) => Key.Screen,
                _ when name.SequenceEqual("userAgent"u8) => Key.UserAgent,
                _ when name.SequenceEqual("ip"u8) => Key.Ip,
                _ when name.SequenceEqual("locale"u8) => Key.Locale,
                _ => Key.Other,
            };
        }

        return name switch
        {
            _ when name.SequenceEqual("url"u8) => Key.Url,
            _ when name.SequenceEqual("path"u8) => Key.Path,
            _ when name.SequenceEqual("search"u8) => Key.Search,
            _ when name.SequenceEqual("title"u8) => Key.Title,
            _ when name.SequenceEqual("referrer"u8) => Key.Referrer,
            _ when name.SequenceEqual("name"u8) => Key.Name,
            _ when name.SequenceEqual("version"u8) => Key.Version,
            _ when name.SequenceEqual("width"u8) => Key.Width,
            _ when name.SequenceEqual("height"u8) => Key.Height,
            _ => Key.Other,
        };
    }
}
