-- take_rate_limit finds its counters by key, whatever the table's size when its plan was made.
-- Since migration 0037 a session keeps one plan for the function's statements, made at its first
-- call.  Made while rate_limit_counters is nearly empty (a new deployment, or after the sweep forgets
-- the past day's windows), the cheapest plan scans the table's few pages, and the session kept
-- scanning the whole table at every guest's booking as it grew, until autovacuum's next ANALYZE
-- (bench/README.md, "Sixth pass": some 10,000 rows read per booking by the end of B5).  Its
-- statements are look-ups and upserts by primary key; a scan is never the plan they need.
alter function public.take_rate_limit(uuid, text[], integer[], integer, timestamptz)
  set enable_seqscan = off;
