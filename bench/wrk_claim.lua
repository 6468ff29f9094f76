-- wrk script of bench/http_bench.py for claim creation: POST to the URL with
-- an API token and a JSON body, each request with its own Idempotency-Key
-- (a prefix unique to the run, the thread's number and a counter), so every
-- request creates a claim rather than replaying an earlier one.
-- Arguments after "--": key prefix, token, one JSON body or more; with more,
-- each request sends the next body in turn (each thread starting elsewhere).
-- Prints the same NANUM-WRK line as wrk_get.lua.

dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "wrk_report.lua")

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
   bodies = {}
   for i = 3, #args do
      table.insert(bodies, args[i])
   end
end

function request()
   counter = counter + 1
   headers["Idempotency-Key"] = prefix .. counter
   return wrk.format("POST", nil, headers, bodies[(counter + number) % #bodies + 1])
end

function done(summary, latency, requests)
   report(threads, summary, latency)
end
