-- wrk script: POST /annotate with JSON bodies made from the lines of $BENCH_TEXTS, one
-- request a line, round robin; $BENCH_SPLIT (true/false) is the request's splitSentences.
local path = os.getenv("BENCH_TEXTS")
local split = os.getenv("BENCH_SPLIT") or "false"
local bodies = {}
local function quoted(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\t', '\\t'):gsub('\r', '\\r'):gsub('\n', '\\n')
  return '"' .. s .. '"'
end
for line in io.lines(path) do
  if #line > 0 then
    bodies[#bodies + 1] = '{"text":' .. quoted(line) .. ',"splitSentences":' .. split .. '}'
  end
end
local next = 1
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  -- Each thread starts at a different place in the texts.
  next = (math.random(#bodies) - 1) + 1
end

function request()
  local body = bodies[next]
  next = next % #bodies + 1
  return wrk.format(nil, "/annotate", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms; %d requests, %d errors (status %d, timeout %d)\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.errors.timeout))
end
