-- wrk script for bench/intake.py: sustained POST /api/v1/reports.
--
--   wrk -t2 -c32 -d40s --timeout 30s --latency -s bench/intake.lua \
--       http://127.0.0.1:PORT/api/v1/reports -- PAYLOADS OUTDIR TAG
--
-- PAYLOADS: one JSON body per line, each with the placeholder @KEY@ where the
-- client_key goes (written by bench/intake.py). Every request gets a unique
-- client_key "TAG-<thread>-<seq>-<payload line>", so the server creates one
-- report per request and bench/intake.py can match rows to payloads.
--
-- Each wrk thread writes OUTDIR/sent-<thread>.txt (the client_key of every
-- request it built) and OUTDIR/resp-<thread>.txt ("<status> <ticket or ->"
-- for every response it read). done() prints one line "INTAKE_WRK {json}"
-- with wrk's own counters and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   local payload_file, out_dir = args[1], args[2]
   tag = args[3]
   pre, post = {}, {}
   for line in io.lines(payload_file) do
      local i, j = string.find(line, "@KEY@", 1, true)
      if i then
         pre[#pre + 1] = string.sub(line, 1, i - 1)
         post[#post + 1] = string.sub(line, j + 1)
      end
   end
   n = #pre
   -- Each thread starts elsewhere in the (shuffled) pool.
   offset = ((tid - 1) * math.floor(n / 2 + 0.5)) % n
   seq = 0
   sent = io.open(out_dir .. "/sent-" .. tid .. ".txt", "w")
   got = io.open(out_dir .. "/resp-" .. tid .. ".txt", "w")
   -- Line-buffered: nothing is lost when wrk exits at the end of -d.
   sent:setvbuf("line")
   got:setvbuf("line")
   hdrs = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
end

function request()
   seq = seq + 1
   local p = (offset + seq - 1) % n
   local key = tag .. "-" .. tid .. "-" .. seq .. "-" .. p
   sent:write(key, "\n")
   return wrk.format("POST", nil, hdrs, pre[p + 1] .. key .. post[p + 1])
end

function response(status, headers, body)
   local ticket = string.match(body or "", '"ticket"%s*:%s*"([^"]+)"') or "-"
   got:write(status, " ", ticket, "\n")
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'INTAKE_WRK {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p75": %d, ' ..
      '"p90": %d, "p99": %d, "p999": %d, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
