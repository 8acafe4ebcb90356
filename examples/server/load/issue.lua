-- wrk script: POST /api/relay/rest/mfa/sms, a random number per request,
-- as the development project. With IDS_FILE set, appends each issued id
-- to that file (for verify.lua).
--   wrk -t2 -c32 -d10s -s load/issue.lua http://127.0.0.1:8080
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic ZGV2LXByb2plY3Q6ZGV2LXRva2Vu"

local ids_file = os.getenv("IDS_FILE")
local out = nil

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  if ids_file then
    out = io.open(ids_file, "a")
    out:setvbuf("line") -- whole lines: two threads append to one file
  end
end

function request()
  local to = string.format("+1555%07d", math.random(0, 9999999))
  local body = '{"to":"' .. to .. '","max_attempts":20}'
  return wrk.format(nil, "/api/relay/rest/mfa/sms", nil, body)
end

if ids_file then
  function response(status, headers, body)
    local id = body:match('"id":"([0-9a-f%-]+)"')
    if id then out:write(id, "\n") end
  end
end
