using System.Diagnostics;
using Weir.Core.Events;
using Weir.Lake.Hot;
using Xunit.Abstractions;

namespace Weir.Lake.Tests.Hot;

public sealed class HotRowWriterTests(ITestOutputHelper output) : IDisposable
{
    private readonly HotFixture _db = new();

    public void Dispose() => _db.Dispose();

    private static readonly string[] EnrichmentColumnNames = [.. CanonicalEventFields.LoaderColumns];

    [Fact]
    public void A_written_record_round_trips_into_a_row_with_every_field_equal()
    {
        var e = Events.Full();
        Assert.Null(_db.Load(HotFixture.Record(e), 1234));
        var row = Assert.Single(_db.Rows());

        Assert.Equal(e.MessageId, row["message_id"]);
        Assert.Equal(e.SiteId, row["site_id"]);
        Assert.Equal("page", row["type"]);
        Assert.Equal(e.Event, row["event"]);
        Assert.Equal(e.UserId, row["user_id"]);
        Assert.Equal(e.AnonymousId, row["anonymous_id"]);
        Assert.Equal(e.Timestamp, row["timestamp"]);
        Assert.Equal(e.OriginalTimestamp, row["original_timestamp"]);
        Assert.Equal(e.SentAt, row["sent_at"]);
        Assert.Equal(e.ReceivedAt, row["received_at"]);
        Assert.Equal(e.Url, row["url"]);
        Assert.Equal(e.Host, row["host"]);
        Assert.Equal(e.Path, row["path"]);
        Assert.Equal(e.Query, row["query"]);
        Assert.Equal(e.Title, row["title"]);
        Assert.Equal(e.Referrer, row["referrer"]);
        Assert.Equal(e.Locale, row["locale"]);
        Assert.Equal(e.ScreenWidth, row["screen_width"]);
        Assert.Equal(e.ScreenHeight, row["screen_height"]);
        Assert.Equal(e.Properties, row["properties"]);
        Assert.Equal(e.Traits, row["traits"]);
        Assert.Equal(e.Context, row["context"]);
        Assert.Equal(e.Library, row["library"]);
        Assert.Equal("segment", row["protocol"]);
        Assert.Equal(e.Name, row["name"]);
        Assert.Equal(e.GroupId, row["group_id"]);
        Assert.Equal(e.PreviousId, row["previous_id"]);
        Assert.Equal(1234L, row["log_position"]);
        Assert.All(EnrichmentColumnNames, name => Assert.Null(row[name]));
        Assert.Equal(EventColumns.All.Count + 1, row.Count);
    }

    [Fact]
    public void Every_contract_column_is_either_checked_above_or_an_enrichment_column()
    {
        // Guards the round-trip test: a column added to the contract must be mapped and tested.
        string[] stored =
        [
            "message_id", "site_id", "type", "event", "user_id", "anonymous_id", "timestamp", "original_timestamp",
            "sent_at", "received_at", "url", "host", "path", "query", "title", "referrer", "locale", "screen_width",
            "screen_height", "properties", "traits", "context", "library", "protocol", "name", "group_id", "previous_id",
        ];
        Assert.Equal(
            EventColumns.All.Select(c => c.Name).Order(StringComparer.Ordinal),
            stored.Concat(EnrichmentColumnNames).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Absent_fields_are_null()
    {
        Assert.Null(_db.Load(HotFixture.Record(Events.Minimal()), 7));
        var row = Assert.Single(_db.Rows());
        string[] present = ["message_id", "site_id", "type", "timestamp", "received_at", "protocol", "log_position"];
        foreach (var (name, value) in row)
        {
            if (present.Contains(name))
            {
                Assert.NotNull(value);
            }
            else
            {
                Assert.True(value is null, $"{name} should be NULL, is {value}");
            }
        }

        Assert.Equal("pixel", row["protocol"]);
        Assert.Equal(Events.Received, row["timestamp"]);
    }

    [Fact]
    public void Unicode_and_escaped_strings_reach_duckdb_as_their_text()
    {
        var e = Events.Minimal("id-\"quoted\"-\\-é");
        e.Title = "Ünïcödé 日本語 😀 \"quotes\" \\ back\nslash\ttab";
        e.Event = "ab"; // inline (≤ 12 bytes)
        e.Path = "/a/much/longer/path/with/é/than/twelve/bytes";
        Assert.Null(_db.Load(HotFixture.Record(e), 1));
        // Written by hand: escapes a writer with relaxed encoding would not produce.
        const string Escaped = """
            {"message_id":"\u0069d-2","site_id":"s\u0031","type":"tr\u0061ck","event":"caf\u00e9 \ud83d\ude00",
             "timestamp":"2026-03-14T15:09:26.535897Z","received_at":"2026-03-14T15:09:26.535897Z",
             "title":"\"\\\/\b\f\n\r\t\u0000end"}
            """;
        Assert.Null(_db.Load(Escaped, 2));

        var rows = _db.Rows();
        Assert.Equal(e.MessageId, rows[0]["message_id"]);
        Assert.Equal(e.Title, rows[0]["title"]);
        Assert.Equal("ab", rows[0]["event"]);
        Assert.Equal(e.Path, rows[0]["path"]);
        Assert.Equal("id-2", rows[1]["message_id"]);
        Assert.Equal("s1", rows[1]["site_id"]);
        Assert.Equal("track", rows[1]["type"]);
        Assert.Equal("café 😀", rows[1]["event"]);
        Assert.Equal("\"\\/\b\f\n\r\t\0end", rows[1]["title"]);
        // Equal in SQL too (DuckDB compares inlined and pointed-to strings differently).
        Assert.Equal(1L, _db.Scalar($"SELECT count(*) FROM {HotTable.Name} WHERE event = 'café 😀' AND site_id = 's1'"));
    }

    [Fact]
    public void Json_columns_keep_the_exact_json_and_answer_json_functions()
    {
        const string Properties = "{ \"plan\" : \"pro\", \"price\": 49.50, \"tags\": [\"a\", \"b\\\"c\"], \"é\": \"\\u00e9\" }";
        var e = Events.Minimal();
        e.Properties = Properties;
        e.Traits = "{}";
        e.Context = """{"campaign":{"source":"news"}}""";
        Assert.Null(_db.Load(HotFixture.Record(e), 1));

        var row = Assert.Single(_db.Rows());
        Assert.Equal(Properties, row["properties"]);
        Assert.Equal("{}", row["traits"]);
        Assert.Equal(e.Context, row["context"]);
        Assert.Equal("pro", _db.Scalar($"SELECT properties->>'$.plan' FROM {HotTable.Name}"));
        Assert.Equal(49.5, _db.Scalar($"SELECT (properties->>'$.price')::DOUBLE FROM {HotTable.Name}"));
        Assert.Equal("b\"c", _db.Scalar($"SELECT properties->>'$.tags[1]' FROM {HotTable.Name}"));
        Assert.Equal("é", _db.Scalar($"SELECT properties->>'$.é' FROM {HotTable.Name}"));
        Assert.Equal("news", _db.Scalar($"SELECT json_extract_string(context, '$.campaign.source') FROM {HotTable.Name}"));
    }

    [Fact]
    public void The_ip_and_the_user_agent_never_reach_the_table()
    {
        var e = Events.Full();
        e.Ip = "198.51.100.203";
        e.UserAgent = "UniqueAgentString/9.9";
        Assert.Null(_db.Load(HotFixture.Record(e), 1));
        Assert.Equal(1L, _db.Count());
        // The whole row as text: neither value appears anywhere in it.
        var text = (string)_db.Scalar($"SELECT CAST(h AS VARCHAR) FROM {HotTable.Name} h")!;
        Assert.Contains(e.MessageId, text, StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.203", text, StringComparison.Ordinal);
        Assert.DoesNotContain("UniqueAgentString", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"message_id\":\"x\"}")]
    [InlineData("{\"message_id\":\"x\",\"site_id\":\"s\",\"type\":\"track\",\"timestamp\":\"2026-03-14T15:09:26.535897Z\",\"received_at\":\"2026-03-14T15:09:26.535897Z\",\"screen_width\":\"bad\"}")]
    [InlineData("{\"message_id\":\"x\",\"site_id\":\"s\",\"type\":\"track\",\"timestamp\":\"2026-03-14T15:09:26.535897Z\",\"received_at\":\"2026-03-14T15:09:26.535897Z\"")]
    [InlineData("garbage")]
    public void Refused_records_leave_the_table_unchanged_and_later_rows_intact(string bad)
    {
        Assert.Null(_db.Load(HotFixture.Record(Events.Minimal("before")), 1));
        Assert.NotNull(_db.Load(bad, 2));
        Assert.Null(_db.Load(HotFixture.Record(Events.Full(3)), 3));
        var rows = _db.Rows();
        Assert.Equal(2, rows.Count);
        Assert.Equal("before", rows[0]["message_id"]);
        Assert.Equal(1L, rows[0]["log_position"]);
        Assert.Equal(Events.Full(3).MessageId, rows[1]["message_id"]);
        Assert.Equal(Events.Full(3).Title, rows[1]["title"]);
        Assert.Equal(3L, rows[1]["log_position"]);
        Assert.Equal(2, _db.Writer.RowsAppended);
    }

    [Fact]
    public void An_enricher_fills_its_columns_and_an_enricher_failure_leaves_no_row()
    {
        using var db = new HotFixture(new TestEnricher());
        Assert.Null(db.Load(HotFixture.Record(Events.Full()), 1));
        var bot = Events.Minimal("bot");
        bot.UserAgent = "Googlebot/2.1";
        Assert.Null(db.Load(HotFixture.Record(bot), 2));
        var failing = Events.Minimal("fail");
        failing.UserAgent = "throw";
        Assert.True(db.Decoder.TryDecode(HotFixture.Record(failing), out var decoded, out _));
        var thrown = false;
        try
        {
            db.Writer.Append(decoded, 3);
        }
        catch (InvalidOperationException)
        {
            thrown = true;
        }

        Assert.True(thrown);
        Assert.Null(db.Load(HotFixture.Record(Events.Minimal("after")), 4));

        var rows = db.Rows();
        Assert.Equal(["msg-000000-0192f1e2-7c3a-7b4d-9e8f-a1b2c3d4e5f6", "bot", "after"], rows.Select(r => (string)r["message_id"]!));
        Assert.Equal("000000000000370c", rows[0]["visitor_id"]); // '7' is 0x37, and "203.0.113.97" has 12 bytes
        Assert.Equal("search.example", rows[0]["referrer_host"]);
        Assert.Equal("Search Example", rows[0]["source"]);
        Assert.Equal("Firefox", rows[0]["browser"]);
        Assert.Equal(false, rows[0]["is_bot"]);
        Assert.Null(rows[0]["country"]);
        Assert.Null(rows[1]["visitor_id"]);
        Assert.Equal(true, rows[1]["is_bot"]);
        Assert.Null(rows[1]["browser"]);
    }

    [Fact]
    public void A_writer_refuses_an_appender_on_another_table()
    {
        _db.Connection.Execute("CREATE TABLE other(a VARCHAR, b BIGINT)");
        using var appender = _db.Connection.CreateAppender("other");
        var error = Assert.Throws<InvalidOperationException>(() => new HotRowWriter(appender, _db.Dimensions));
        Assert.Contains(HotTable.Name, error.Message, StringComparison.Ordinal);

        _db.Connection.Execute($"CREATE TABLE shifted AS SELECT * FROM {HotTable.Name} LIMIT 0");
        _db.Connection.Execute("ALTER TABLE shifted ALTER \"screen_width\" TYPE VARCHAR");
        using var shifted = _db.Connection.CreateAppender("shifted");
        var typeError = Assert.Throws<InvalidOperationException>(() => new HotRowWriter(shifted, _db.Dimensions));
        Assert.Contains("screen_width", typeError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoding_and_appending_allocate_nothing_in_steady_state()
    {
        const int Distinct = 1024, Warmup = 20_000, Measured = 100_000;
        var records = new byte[Distinct][];
        for (var i = 0; i < Distinct; i++)
        {
            var e = i % 3 == 0 ? Events.Minimal($"min-{i}") : Events.Full(i);
            if (i % 5 == 0)
            {
                e.Title = $"caf\u00e9 \"{i}\" \\ escaped"; // the writer escapes the quotes and backslash
            }

            records[i] = HotFixture.Record(e);
        }

        void Run(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                if (!_db.Decoder.TryDecode(records[i % Distinct], out var decoded, out var error))
                {
                    throw new InvalidOperationException(error);
                }

                _db.Writer.Append(decoded, i);
            }
        }

        Run(0, Warmup);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp(); // not a Stopwatch instance, which would be counted
        Run(Warmup, Measured);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{Measured / elapsed.TotalSeconds:N0} rows/s decode+append ({elapsed.TotalMilliseconds:N0} ms for {Measured:N0}), {allocated} bytes allocated");

        Assert.Equal(Warmup + Measured, _db.Count());
        Assert.Equal(0, allocated);
        Assert.Equal((long)(Warmup + Measured) * (Warmup + Measured - 1) / 2, Convert.ToInt64(_db.Scalar($"SELECT sum(log_position)::BIGINT FROM {HotTable.Name}")));
        Assert.Equal(Distinct, Convert.ToInt64(_db.Scalar($"SELECT count(DISTINCT message_id) FROM {HotTable.Name}")));
        Assert.Equal("café \"5\" \\ escaped", _db.Scalar($"SELECT title FROM {HotTable.Name} WHERE message_id LIKE 'msg-000005-%' LIMIT 1"));
    }

    private sealed class TestEnricher : IHotRowEnricher
    {
        public void Enrich(in DecodedRecord record, HotEnrichment columns)
        {
            var agent = record.GetUtf8(RecordField.UserAgent);
            if (agent.SequenceEqual("throw"u8))
            {
                throw new InvalidOperationException("enricher failed");
            }

            if (record.Has(RecordField.Ip))
            {
                // The IP's last byte and its length: enough to see the hash reach the row, with its leading zeros.
                var ip = record.GetUtf8(RecordField.Ip);
                columns.VisitorHash = ((ulong)ip[^1] << 8) | (uint)ip.Length;
            }

            if (!agent.IsEmpty)
            {
                columns.Agent = columns.Dimensions.Agent(agent.IndexOf("Firefox"u8) >= 0 ? "Firefox" : null, null, null, null, null, agent.IndexOf("bot"u8) >= 0);
            }

            if (record.Has(RecordField.Referrer))
            {
                columns.Origin = columns.Dimensions.Origin("search.example", "Search Example");
            }
        }
    }
}
