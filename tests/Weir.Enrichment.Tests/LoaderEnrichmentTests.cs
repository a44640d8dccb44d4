using System.Globalization;
using Weir.Core.Events;
using Weir.Enrichment.Visitors;
using Weir.Lake;
using Weir.Log;

namespace Weir.Enrichment.Tests;

/// <summary>
/// The enricher in a real loader: events go through a real log and lake, and the lake's rows carry what the raw
/// request data said, while neither the IP nor the user agent is stored anywhere in the lake.
/// </summary>
public sealed class LoaderEnrichmentTests
{
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    private const string Iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    [Fact]
    public async Task Rows_carry_browser_device_country_tags_and_source_and_no_raw_request_data()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(temp.Path, "log") });
        var visitors = new VisitorIds(VisitorSalts.Open(temp.Path));
        await using var lake = Lake.Lake.Open(new LakeOptions
        {
            DataDirectory = temp.Path,
            BackgroundMaintenance = false,
            Enricher = () => new EventEnricher(EnrichmentData.Default, visitors),
        }, log);
        lake.Start();

        CanonicalEvent[] events =
        [
            Page(1, Chrome, "8.8.8.8", "https://www.google.com/", null),
            Page(2, Iphone, "::ffff:8.8.8.8", "https://m.facebook.com/", "utm_source=spring&utm_medium=social&utm_campaign=Big%20Sale"),
            Page(3, Chrome, "10.0.0.1", null, "utm_source=newsletter&utm_medium=email"),
            Page(4, Googlebot, "66.249.66.1", null, null),
            Page(5, Chrome, "8.8.8.8", "https://shop.example/pricing", "gclid=xyz"),
        ];
        foreach (var e in events)
        {
            await log.AppendAsync(CanonicalEventWriter.ToUtf8(e));
        }

        await lake.WhenLoadedAsync(log.CommittedPosition);
        var rows = Rows(lake);
        Assert.Equal("Chrome|120.0.0|Windows|desktop|false|US|www.google.com|Google|||", rows["m-1"]);
        Assert.Equal("Safari|17.1|iOS|mobile|false|US|m.facebook.com|Facebook|spring|social|Big Sale", rows["m-2"]);
        Assert.Equal("Chrome|120.0.0|Windows|desktop|false|||newsletter|newsletter|email|", rows["m-3"]);
        Assert.Equal("Googlebot|2.1|Other|desktop|true|US|||||", rows["m-4"]);
        Assert.Equal("Chrome|120.0.0|Windows|desktop|false|US|||||", rows["m-5"]);

        // One visitor id per (site, IP, user agent) and day: events 1 and 5 share theirs, the others differ.
        var ids = VisitorIdsOf(lake);
        Assert.All(ids.Values, id => Assert.Matches("^[0-9a-f]{16}$", id));
        Assert.Equal(ids["m-1"], ids["m-5"]);
        Assert.Equal(4, ids.Values.Distinct().Count());

        // Flushed to Parquet, the same; and no byte of an IP or a user agent is in the lake's files.
        await lake.FlushAsync();
        Assert.Equal(rows, Rows(lake));
        Assert.Equal(ids, VisitorIdsOf(lake));
        foreach (var file in Directory.GetFiles(Path.Combine(temp.Path, "lake"), "*.parquet", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf("66.249.66.1"u8));
            Assert.Equal(-1, bytes.AsSpan().IndexOf("Googlebot/2.1"u8));
        }
    }

    private static Dictionary<string, string> Rows(Lake.Lake lake) => Strings(lake,
        "SELECT message_id, concat_ws('|', browser, coalesce(browser_version, ''), os, device_type, CAST(is_bot AS VARCHAR), coalesce(country, ''), " +
        "coalesce(referrer_host, ''), coalesce(source, ''), coalesce(utm_source, ''), coalesce(utm_medium, ''), coalesce(utm_campaign, '')) FROM events");

    private static Dictionary<string, string> VisitorIdsOf(Lake.Lake lake) => Strings(lake, "SELECT message_id, visitor_id FROM events");

    private static Dictionary<string, string> Strings(Lake.Lake lake, string sql)
    {
        using var connection = lake.Connect();
        using var result = connection.Query(sql);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var r = 0; r < chunk.RowCount; r++)
                {
                    rows[chunk.GetVector(0).GetString(r)] = chunk.GetVector(1).GetString(r);
                }
            }
        }

        return rows;
    }

    private static CanonicalEvent Page(int i, string userAgent, string ip, string? referrer, string? query) => new()
    {
        MessageId = "m-" + i.ToString(CultureInfo.InvariantCulture),
        SiteId = "site-a",
        Protocol = EventProtocol.Segment,
        Type = EventType.Page,
        Event = "pageview",
        AnonymousId = "anon-" + i.ToString(CultureInfo.InvariantCulture),
        Timestamp = new DateTimeOffset(2026, 6, 1, 10, i, 0, TimeSpan.Zero),
        ReceivedAt = new DateTimeOffset(2026, 6, 1, 10, i, 1, TimeSpan.Zero),
        Host = "shop.example",
        Path = "/",
        Query = query,
        Referrer = referrer,
        UserAgent = userAgent,
        Ip = ip,
    };
}
