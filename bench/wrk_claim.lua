-- wrk script of bench/http_bench.py for claim creation: POST to the URL with
-- an API token and a JSON body, each request with its own Idempotency-Key
-- (a prefix unique to the run, the thread's number and a counter), so every
-- request creates a claim rather than replaying an earlier one.
-- Arguments after "--": key prefix, token, JSON body.
-- Prints the same NANUM-WRK line as wrk_get.lua.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("number", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   prefix = args[1] .. "-" .. number .. "-"
   headers = {
      ["Authorization"] = "Token " .. args[2],
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
   }
   body = args[3]
end

function request()
   counter = counter + 1
   headers["Idempotency-Key"] = prefix .. counter
   return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(totals) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local e = summary.errors
   io.write(string.format(
      'NANUM-WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
      '"p99_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
