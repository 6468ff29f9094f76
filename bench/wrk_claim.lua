-- wrk script of bench/http_bench.py for claim creation: POST to the URL with
-- an API token and a JSON body, each request with its own Idempotency-Key
-- (a prefix unique to the run, the thread's number and a counter), so every
-- request creates a claim rather than replaying an earlier one.
-- Arguments after "--": key prefix, token, JSON body.
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
   body = args[3]
end

function request()
   counter = counter + 1
   headers["Idempotency-Key"] = prefix .. counter
   return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
   report(threads, summary, latency)
end
