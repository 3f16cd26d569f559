-- wrk script of bench/booking.py: sends each booking of one run exactly once as
-- POST /api/v1/care/appointments, records each request's latency and status, and prints one
-- summary line for booking.py to read. Not meant to be run by hand; booking.py runs
--
--     wrk -t CLIENTS -c CLIENTS -d MAX --timeout 60s -s bench/booking.wrk.lua URL
--
-- with, in the environment:
--   HAMKOR_WRK_BOOKINGS_FD  an open file (inherited) of 32-byte records "referral,activity,slot"
--                           padded with spaces and ending in "\n", read from the start;
--   HAMKOR_WRK_TOKEN        the API token;
--   HAMKOR_WRK_TIMEOUT      seconds after which an answer counts as none (status 0), as the
--                           httpx client gives up.
--
-- One connection per thread: with several connections a Lua state cannot tell which request a
-- response answers, and wrk's own latency histogram adds synthetic samples (its correction for
-- coordinated omission), so it is not the list of latencies the httpx client measures. With
-- one connection the thread knows its request in flight: its latency, and when the connection
-- failed (request() is called again with no response in between: wrk reconnects and asks for
-- the next request; the lost one is counted as status 0 and not sent again).
--
-- The threads share one queue: the inherited file, whose offset the kernel moves atomically
-- for each read(2), so each record is read, and its booking sent, by exactly one thread, and a
-- free connection takes the next booking (as the httpx clients share one iterator). A thread
-- stops when the queue is empty; its connection is then free, so nothing of it is in flight.
-- wrk's main thread sleeps for the whole -d regardless, so each stopping thread prints
-- "wrk-thread-done" and booking.py sends SIGINT once every thread has: wrk then joins them and
-- calls done(), which prints "wrk-summary {json}".

local ffi = require("ffi")
ffi.cdef([[
long read(int fd, void *buf, size_t count);
struct timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct timespec *now);
unsigned long pthread_self(void);
]])

local CLOCK_MONOTONIC = 1
local RECORD = 32
local PATH = "/api/v1/care/appointments"
local clock = ffi.new("struct timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

-- wrk's main thread: setup() once per thread, done() at the end --------------------------

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- each thread's own Lua state --------------------------------------------------------------

function init(args)
  queue = tonumber(os.getenv("HAMKOR_WRK_BOOKINGS_FD"))
  timeout = tonumber(os.getenv("HAMKOR_WRK_TIMEOUT") or "60")
  headers = {
    ["authorization"] = "Bearer " .. os.getenv("HAMKOR_WRK_TOKEN"),
    ["content-type"] = "application/json",
  }
  record = ffi.new("char[?]", RECORD)
  -- init() runs on wrk's main thread, and so does the one request() call with which wrk
  -- checks the script's request before the threads start: that call must take no booking
  checker = tonumber(ffi.C.pthread_self())
  statuses = {}
  latencies = {}
  sent = 0
  first = nil -- when the first request left, the last answer came (monotonic seconds)
  last = nil
  waiting = nil -- when the request in flight left
end

local function answered(status, at)
  statuses[status] = (statuses[status] or 0) + 1
  table.insert(latencies, (at - waiting) * 1000)
  waiting = nil
  last = at
end

function request()
  if tonumber(ffi.C.pthread_self()) == checker then
    return wrk.format("POST", PATH, headers, "{}") -- parsed by wrk, never sent
  end
  if waiting then
    answered(0, now()) -- the connection failed before the answer: wrk reconnected
  end
  local read = tonumber(ffi.C.read(queue, record, RECORD))
  if read ~= RECORD then
    if read ~= 0 then
      io.stderr:write("booking.wrk.lua: bad read of the bookings: ", read, "\n")
    end
    wrk.thread:stop()
    io.stdout:write("wrk-thread-done\n")
    io.stdout:flush()
    return "" -- nothing is written, and the thread's loop ends
  end
  local referral, activity, slot = ffi.string(record, RECORD):match("^(%d+),(%d+),(%d+)")
  local body = string.format(
    '{"referral_id": %s, "activity_id": %s, "slot": %s}', referral, activity, slot
  )
  sent = sent + 1
  waiting = now()
  first = first or waiting
  return wrk.format("POST", PATH, headers, body)
end

function response(status, headers, body)
  local at = now()
  if at - waiting > timeout then
    status = 0 -- later than the httpx client waits: counted as no answer, as there
  end
  answered(status, at)
end

-- wrk's main thread, after the threads ended -----------------------------------------------

function done(summary, latency, requests)
  local statuses, latencies = {}, {}
  local sent, first, last = 0, nil, nil
  local stopped = now()
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      statuses[status] = (statuses[status] or 0) + count
    end
    for _, ms in ipairs(thread:get("latencies")) do
      table.insert(latencies, string.format("%.3f", ms))
    end
    local waiting = thread:get("waiting")
    if waiting then -- still in flight when wrk stopped at its -d limit: no answer
      statuses[0] = (statuses[0] or 0) + 1
      table.insert(latencies, string.format("%.3f", (stopped - waiting) * 1000))
    end
    sent = sent + thread:get("sent")
    local thread_first, thread_last = thread:get("first"), thread:get("last")
    if thread_first and (not first or thread_first < first) then
      first = thread_first
    end
    if thread_last and (not last or thread_last > last) then
      last = thread_last
    end
  end
  local counts = {}
  for status, count in pairs(statuses) do
    table.insert(counts, string.format('"%d": %d', status, count))
  end
  local errors = {}
  for _, name in ipairs({ "connect", "read", "write", "status", "timeout" }) do
    table.insert(errors, string.format('"%s": %d', name, summary.errors[name]))
  end
  local seconds = (first and last) and last - first or summary.duration / 1e6
  io.stdout:write(
    "wrk-summary {",
    string.format('"sent": %d, "responses": %d, ', sent, summary.requests),
    string.format('"seconds": %.6f, ', seconds),
    '"statuses": {', table.concat(counts, ", "), "}, ",
    '"errors": {', table.concat(errors, ", "), "}, ",
    '"latencies_ms": [', table.concat(latencies, ", "), "]}\n"
  )
  io.stdout:flush()
end
