-- wrk script: POST /api/relay/rest/mfa/{id}/verify with a wrong code, a
-- random id from IDS_FILE per request (issued with max_attempts 20, so
-- nearly every answer is a full 200 {"success":false}: read, lockout
-- check, compare-and-swap, lockout update).
--   IDS_FILE=/tmp/ids wrk -t2 -c32 -d10s -s load/verify.lua http://127.0.0.1:8080
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic ZGV2LXByb2plY3Q6ZGV2LXRva2Vu"
wrk.body = '{"token":"000000"}'

local ids = {}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
end

function request()
  local id = ids[math.random(1, #ids)]
  return wrk.format(nil, "/api/relay/rest/mfa/" .. id .. "/verify")
end
