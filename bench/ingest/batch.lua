-- wrk script: POST /v1/batch with 100 Segment track events of about 300 bytes each (about 30 KB), authenticated with
-- HTTP Basic. WEIR_BENCH_AUTH holds base64("<writeKey>:"). Each response acknowledges 100 durable events.
wrk.method = "POST"
wrk.path = "/v1/batch"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. (os.getenv("WEIR_BENCH_AUTH") or "")

local items = {}
for i = 1, 100 do
  items[i] = string.format(
    '{"type":"track","event":"Signup","userId":"user-%05d","properties":{"plan":"pro","price":12.5,"trial":false},' ..
    '"context":{"library":{"name":"wrk","version":"4.1"},"page":{"url":"https://shop.example/pricing?utm_source=news",' ..
    '"path":"/pricing","referrer":"https://search.example/"},"locale":"de-DE","userAgent":"Mozilla/5.0 (X11; Linux x86_64)"},' ..
    '"timestamp":"2026-11-21T12:00:00.000Z"}', i)
end
wrk.body = '{"batch":[' .. table.concat(items, ",") .. '],"sentAt":"2026-11-21T12:00:01.000Z"}'
