-- bench/chat.lua - wrk script: POST one chat completion per request.
--
-- Environment: BENCH_PATH (default /api/v1/chat/completions), BENCH_KEY (bearer key, optional),
-- BENCH_MODEL (default openai/gpt-5.2), BENCH_STREAM ("1" for stream:true),
-- BENCH_MAX_TOKENS (default 64).
-- At the end it prints one machine-readable line that bench/run.sh reads:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N errors=N non2xx=N

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then
		return default
	end
	return v
end

wrk.method = "POST"
wrk.path = env("BENCH_PATH", "/api/v1/chat/completions")
wrk.headers["Content-Type"] = "application/json"
local key = env("BENCH_KEY", nil)
if key then
	wrk.headers["Authorization"] = "Bearer " .. key
end
wrk.body = string.format(
	'{"model":"%s","stream":%s,"max_tokens":%d,' ..
	'"messages":[{"role":"user","content":"Explain what a reverse proxy does, briefly."}]}',
	env("BENCH_MODEL", "openai/gpt-5.2"),
	env("BENCH_STREAM", "0") == "1" and "true" or "false",
	tonumber(env("BENCH_MAX_TOKENS", "64")))

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
		summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99),
		e.connect + e.read + e.write + e.timeout, e.status))
end
