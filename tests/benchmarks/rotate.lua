-- wrk script: every request is the next of many prepared ones (one per panelist session),
-- read from the file named by BENCH_REQUESTS, one per line, tab-separated:
--   method, path, Cookie header, X-Bench-Respondent header, body (urlencoded, may be empty)
-- Each wrk thread starts at its own offset. done() prints one JSON line for harness.py.

local requests = {}
local position = 1
local counter = 0

function setup(thread)
   thread:set("thread_number", counter)
   counter = counter + 1
   thread:set("thread_count", 0)
end

function init(args)
   local file = os.getenv("BENCH_REQUESTS")
   for line in io.lines(file) do
      local method, path, cookie, respondent, body =
         line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Cookie"] = cookie, ["X-Bench-Respondent"] = respondent }
      if body ~= "" then
         headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
         body = nil
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
   end
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
   position = math.floor(thread_number * #requests / threads) % #requests + 1
end

function request()
   local prepared = requests[position]
   position = position % #requests + 1
   return prepared
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, "p50_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "status": %d, "connect": %d, "read": %d, ' ..
      '"write": %d, "timeout": %d}\n',
      summary.duration, summary.requests, summary.bytes,
      math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
      math.floor(latency.max), e.status, e.connect, e.read, e.write, e.timeout))
end
