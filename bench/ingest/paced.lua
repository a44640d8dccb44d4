-- wrk script: the POST /v1/track of track.lua, paced. Each connection waits a random 0-2x WEIR_BENCH_DELAY_MS
-- (mean WEIR_BENCH_DELAY_MS) after each answer, so N connections send about N * 1000 / delay requests a second.
-- A closed loop with think time, not an open-loop generator: latency is measured per request, but a stall still
-- holds back the requests queued behind it (coordinated omission), so read p99 as a lower bound when it is high.
local track = dofile(os.getenv("WEIR_BENCH_DIR") .. "/track.lua")
local mean = tonumber(os.getenv("WEIR_BENCH_DELAY_MS") or "10")

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function delay()
  return math.floor(2 * mean * math.random())
end
