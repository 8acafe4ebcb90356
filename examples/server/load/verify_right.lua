-- wrk script: POST /api/relay/rest/mfa/{id}/verify with the right code,
-- each pair of PAIRS_FILE ("id code" lines) used once, a thread taking
-- every THREADS-th line. When a thread's share runs out: with EXIT set,
-- wrk exits (a fill; no report); otherwise it sends requests that get
-- 405 (`POST /healthz`), so a measure that ran short shows non-2xx.
--   PAIRS_FILE=/tmp/pairs wrk -t2 -c32 -d10s -s load/verify_right.lua http://127.0.0.1:8080
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic ZGV2LXByb2plY3Q6ZGV2LXRva2Vu"

local counter = 0
local pairs_ = {}
local next_pair = 1

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

function init(args)
  local threads = tonumber(os.getenv("THREADS") or "2")
  local n = 0
  for line in io.lines(os.getenv("PAIRS_FILE")) do
    if n % threads == index then pairs_[#pairs_ + 1] = line end
    n = n + 1
  end
end

function request()
  local pair = pairs_[next_pair]
  if pair == nil then
    -- Out of pairs (see above).
    return wrk.format(nil, "/healthz", nil, nil)
  end
  next_pair = next_pair + 1
  local id, code = pair:match("(%S+) (%S+)")
  local body = '{"token":"' .. code .. '"}'
  return wrk.format(nil, "/api/relay/rest/mfa/" .. id .. "/verify", nil, body)
end

local exit_when_done = os.getenv("EXIT") ~= nil

function response(status, headers, body)
  if exit_when_done and next_pair > #pairs_ then os.exit(0) end
end
