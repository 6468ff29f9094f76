-- wrk script of bench/http_bench.py for GET paths: anonymous, or signed in
-- with the headers passed after "--" (e.g. "Cookie: sessionid=…").
-- Every answer's status is counted and done() prints the NANUM-WRK line of
-- bench/wrk_report.lua.

dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "wrk_report.lua")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   for _, line in ipairs(args) do
      local name, value = line:match("^([^:]+):%s*(.*)$")
      if name then
         wrk.headers[name] = value
      end
   end
end

function done(summary, latency, requests)
   report(threads, summary, latency)
end
