-- take_rate_limit keeps one plan for its statements (bench/README.md, "Fourth pass").  PostgreSQL
-- chose a custom plan for its look-up of the previous window's hits at every call, planning it anew
-- (0.08 ms, six times its execution) twice per booking; the generic plan is the same primary-key
-- look-up.  The setting holds for the length of each call: for the function's statements and for
-- what they call (the row-level security helpers among them).
alter function public.take_rate_limit(uuid, text[], integer[], integer, timestamptz)
  set plan_cache_mode = force_generic_plan;
