-- Shared by bench/wrk_get.lua and bench/wrk_claim.lua (loaded with dofile from
-- the folder of the script that wrk runs): every answer's status is counted per
-- thread, and done() prints one line
--   NANUM-WRK {json}
-- with the requests, duration, latency percentiles (µs), socket errors and the
-- count of each status, which bench/http_bench.py parses.

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function report(threads, summary, latency)
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
