using Weir.Core.Events;

namespace Weir.Lake.Loading;

/// <summary>
/// Reads what the de-duplication window needs of a record (the <see cref="MessageIdHash"/> of its site and message id,
/// and its <c>received_at</c>) from the front of the record, without decoding the rest. The loader does this in log
/// order on its own thread, so that the full decode and the append, which cost ten times more, can run on several
/// threads while "the first received wins" stays exactly as it would be on one.
/// </summary>
/// <remarks>
/// Canonical writers put <c>message_id</c>, <c>site_id</c> and the short fields before <c>received_at</c>, with no
/// whitespace, so the reader only walks flat key–value pairs until it has the three it needs. Anything else (an
/// escaped key, an escape inside one of the three values, an object or array before them, whitespace, a value that is
/// not a string) makes it answer false, and the loader then decodes that record in full on its own thread instead: the
/// answer is never a guess. A record this reader accepts may still be refused later by the full decoder (invalid UTF-8
/// or a bad value further on); its id then stays in the window, which matters only if the same id comes again.
/// </remarks>
internal static class DedupKeyReader
{
    private static ReadOnlySpan<byte> MessageId => "message_id"u8;

    private static ReadOnlySpan<byte> SiteId => "site_id"u8;

    private static ReadOnlySpan<byte> ReceivedAt => "received_at"u8;

    public static bool TryRead(ReadOnlySpan<byte> record, out UInt128 key, out DateTimeOffset receivedAt)
    {
        key = default;
        receivedAt = default;
        if (record.Length < 2 || record[0] != (byte)'{')
        {
            return false;
        }

        ReadOnlySpan<byte> messageId = default, siteId = default;
        bool haveMessageId = false, haveSiteId = false, haveReceivedAt = false;
        var at = 1;
        while (true)
        {
            // "key":
            if (at >= record.Length || record[at] != (byte)'"')
            {
                return false;
            }

            var keyLength = record[(at + 1)..].IndexOfAny((byte)'"', (byte)'\\');
            if (keyLength < 0 || record[at + 1 + keyLength] != (byte)'"')
            {
                return false;
            }

            var name = record.Slice(at + 1, keyLength);
            at += keyLength + 2;
            if (at >= record.Length || record[at] != (byte)':')
            {
                return false;
            }

            at++;
            if (at >= record.Length)
            {
                return false;
            }

            var wanted = name.SequenceEqual(MessageId) ? Field.MessageId
                : name.SequenceEqual(SiteId) ? Field.SiteId
                : name.SequenceEqual(ReceivedAt) ? Field.ReceivedAt
                : Field.Other;
            var first = record[at];
            if (first == (byte)'"')
            {
                var valueStart = at + 1;
                var end = ClosingQuote(record, valueStart, allowEscapes: wanted == Field.Other);
                if (end < 0)
                {
                    return false;
                }

                var value = record[valueStart..end];
                switch (wanted)
                {
                    case Field.MessageId:
                        messageId = value;
                        haveMessageId = true;
                        break;
                    case Field.SiteId:
                        siteId = value;
                        haveSiteId = true;
                        break;
                    case Field.ReceivedAt:
                        if (!EventTime.TryParseIso8601(value, out receivedAt))
                        {
                            return false;
                        }

                        haveReceivedAt = true;
                        break;
                }

                at = end + 1;
            }
            else if (wanted != Field.Other || first is (byte)'{' or (byte)'[')
            {
                // null or a number for a wanted key, or a nested value the flat walk cannot skip safely.
                return false;
            }
            else
            {
                // A number or literal: up to the next separator.
                var length = record[at..].IndexOfAny((byte)',', (byte)'}');
                if (length <= 0)
                {
                    return false;
                }

                at += length;
            }

            if (haveMessageId && haveSiteId && haveReceivedAt)
            {
                if (messageId.IsEmpty || siteId.IsEmpty)
                {
                    return false;
                }

                key = MessageIdHash.Compute(siteId, messageId);
                return true;
            }

            if (at >= record.Length || record[at] != (byte)',')
            {
                return false;
            }

            at++;
        }
    }

    private enum Field
    {
        Other,
        MessageId,
        SiteId,
        ReceivedAt,
    }

    /// <summary>The index of the quote that ends a string value starting at <paramref name="start"/>, or -1.</summary>
    private static int ClosingQuote(ReadOnlySpan<byte> record, int start, bool allowEscapes)
    {
        var at = start;
        while (true)
        {
            var found = record[at..].IndexOfAny((byte)'"', (byte)'\\');
            if (found < 0)
            {
                return -1;
            }

            at += found;
            if (record[at] == (byte)'"')
            {
                return at;
            }

            if (!allowEscapes || at + 1 >= record.Length)
            {
                return -1;
            }

            at += 2; // the backslash and the character it escapes (a \u escape's hex digits need no care)
        }
    }
}
