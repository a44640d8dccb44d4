-- wrk script: POST /v1/track with a Segment track call of about 300 bytes, authenticated with HTTP Basic.
-- WEIR_BENCH_AUTH holds base64("<writeKey>:").
wrk.method = "POST"
wrk.path = "/v1/track"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. (os.getenv("WEIR_BENCH_AUTH") or "")
wrk.body = '{"type":"track","event":"Signup","userId":"user-4711","properties":{"plan":"pro","price":12.5,"trial":false},' ..
  '"context":{"library":{"name":"wrk","version":"4.1"},"page":{"url":"https://shop.example/pricing?utm_source=news",' ..
  '"path":"/pricing","referrer":"https://search.example/"},"locale":"de-DE","userAgent":"Mozilla/5.0 (X11; Linux x86_64)"},' ..
  '"timestamp":"2026-11-21T12:00:00.000Z"}'
