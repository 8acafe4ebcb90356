-- wrk script: POST /api/relay/rest/mfa/sms to random numbers, as the
-- development project, until a thread has its share of COUNT answers:
-- then wrk exits (without its report; `wrk -d` is only an upper bound).
-- VALID_FOR, if set, is sent as `valid_for` (1: expired a second later).
--   COUNT=100000 wrk -t2 -c32 -d600s -s load/fill.lua http://127.0.0.1:8080
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic ZGV2LXByb2plY3Q6ZGV2LXRva2Vu"

local count = tonumber(os.getenv("COUNT"))
local valid_for = os.getenv("VALID_FOR")
local extra = valid_for and (',"valid_for":' .. valid_for) or ""
local answered = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  -- Each of the THREADS threads (wrk -t) takes its share of COUNT.
  count = math.ceil(count / tonumber(os.getenv("THREADS") or "2"))
end

function request()
  local to = string.format("+1555%07d", math.random(0, 9999999))
  local body = '{"to":"' .. to .. '","max_attempts":20' .. extra .. '}'
  return wrk.format(nil, "/api/relay/rest/mfa/sms", nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= count then os.exit(0) end
end
