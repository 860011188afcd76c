-- One class of simulate-day.sh's traffic, for wrk: requests drawn at random
-- from a file, paced by a think time, every answer counted by kind. Run
-- with as many threads as connections (-t N -c N), so that each thread has
-- one request in flight and knows which one an answer is for.
--
-- Environment: SIM_REQUESTS (a file of lines "METHOD<TAB>PATH<TAB>HEADER<TAB>BODY",
-- HEADER "Name: value" or "-" for none, BODY JSON or empty), SIM_PACE_MS (think
-- time per connection), SIM_CONDITIONAL=1 (keep each path's ETag and send
-- it back, as calendar apps do), SIM_RSVP=1 (BODY holds an event id: take
-- and give up a place in turn, with the bearer token in HEADER).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  for line in io.lines(os.getenv("SIM_REQUESTS")) do
    local m, p, h, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if m then table.insert(lines, { m, p, h, b }) end
  end
  pace = tonumber(os.getenv("SIM_PACE_MS") or "0")
  conditional = os.getenv("SIM_CONDITIONAL") == "1"
  rsvp = os.getenv("SIM_RSVP") == "1"
  etags, going = {}, {}
  ok, not_modified, limited, bad = 0, 0, 0, 0
  math.randomseed(os.time() + #threads * 7919)
  for _ = 1, 10 do math.random() end
end

function delay()
  return pace
end

function request()
  current = lines[math.random(#lines)]
  local headers = {}
  if current[3] ~= "" and current[3] ~= "-" then
    local name, value = current[3]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  local body = nil
  if rsvp then
    local id = current[4]
    local op = going[id] and "cancelRsvp" or "rsvp"
    local fields = going[id] and "" or " { status }"
    body = '{"query":"mutation($id: ID!) { ' .. op .. '(eventId: $id)' .. fields .. ' }","variables":{"id":"' .. id .. '"}}'
  elseif current[4] ~= "" then
    body = current[4]
  end
  if body then headers["Content-Type"] = "application/json" end
  if conditional then
    headers["Accept-Encoding"] = "gzip"
    if etags[current[2]] then headers["If-None-Match"] = etags[current[2]] end
  end
  return wrk.format(current[1], current[2], headers, body)
end

function response(status, headers, body)
  if status == 429 or (body and body:find('"RATE_LIMITED"', 1, true)) then
    limited = limited + 1
  elseif status >= 400 or (body and body:find('"errors"', 1, true)) then
    bad = bad + 1
  elseif status == 304 then
    not_modified = not_modified + 1
  else
    ok = ok + 1
  end
  if conditional then
    local tag = headers["ETag"] or headers["etag"]
    if tag then etags[current[2]] = tag end
  end
  if rsvp and status == 200 and body and not body:find('"errors"', 1, true) then
    going[current[4]] = not going[current[4]]
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, not_modified = 0, limited = 0, bad = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  io.write(string.format(
    "SIM requests=%d seconds=%.3f ok=%d not_modified=%d limited=%d bad=%d socket_errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, totals.ok, totals.not_modified, totals.limited, totals.bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
