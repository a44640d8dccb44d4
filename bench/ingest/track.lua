-- wrk script: POST /v1/track with the Segment track call in track.json (about 300 bytes), authenticated with HTTP
-- Basic. WEIR_BENCH_AUTH holds base64("<writeKey>:"); WEIR_BENCH_DIR is this folder.
local file = assert(io.open((os.getenv("WEIR_BENCH_DIR") or ".") .. "/track.json", "rb"))
local body = file:read("*a"):gsub("%s+$", "")
file:close()
wrk.method = "POST"
wrk.path = "/v1/track"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. (os.getenv("WEIR_BENCH_AUTH") or "")
wrk.body = body
