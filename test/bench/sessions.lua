-- sessions.lua - wrk script of make bench (test/bench/run.sh).
--   wrk ... -s test/bench/sessions.lua URL -- <cookie file> <mode>
-- cookie file: one "<portal_session token> <ticket id>" line per bench session.
-- mode plain:  URL as it is, no cookie (/healthz, static files, /login);
--      list:   URL (path and query) with the cookie of a random session per request;
--      detail: URL's path followed by that session's ticket id (/tickets/ -> /tickets/123).
-- Counts answers by status class and prints "statuses 2xx=.. 3xx=.. 4xx=.. 5xx=..": wrk's own
-- "Non-2xx or 3xx" count takes a redirect as success, and a session that is not accepted
-- answers 303 to /login.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

function init(args)
	mode = args[2] or "plain"
	tokens, tickets = {}, {}
	if mode ~= "plain" then
		for line in io.lines(args[1]) do
			local tok, id = line:match("^(%S+)%s+(%d+)")
			if tok then
				tokens[#tokens + 1] = tok
				tickets[#tickets + 1] = id
			end
		end
	end
	n = #tokens
	math.randomseed(os.time() * 1000 + (tid or 0))
	c2, c3, c4, c5 = 0, 0, 0, 0
end

function request()
	if n == 0 then
		return wrk.format("GET", wrk.path)
	end
	local i = math.random(n)
	local path = wrk.path
	if mode == "detail" then
		path = path .. tickets[i]
	end
	return wrk.format("GET", path, { Cookie = "portal_session=" .. tokens[i] })
end

function response(status, headers, body)
	if status < 300 then
		c2 = c2 + 1
	elseif status < 400 then
		c3 = c3 + 1
	elseif status < 500 then
		c4 = c4 + 1
	else
		c5 = c5 + 1
	end
end

function done(summary, latency, requests)
	local s = { 0, 0, 0, 0 }
	for _, t in ipairs(threads) do
		s[1] = s[1] + (t:get("c2") or 0)
		s[2] = s[2] + (t:get("c3") or 0)
		s[3] = s[3] + (t:get("c4") or 0)
		s[4] = s[4] + (t:get("c5") or 0)
	end
	io.write(string.format("statuses 2xx=%d 3xx=%d 4xx=%d 5xx=%d\n", s[1], s[2], s[3], s[4]))
end
