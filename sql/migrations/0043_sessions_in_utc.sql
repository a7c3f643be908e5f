-- Every session of this database reads its instants in UTC, whatever the server's TimeZone
-- (docs/decisions.md, "How time flows").  A timestamptz is the same instant in any zone, but the
-- client receives it in the session's: a server set up as `Etc/UTC` (what initdb takes from a
-- Debian machine) or as a restaurant's own zone gave the handlers datetimes in a ZoneInfo zone, which
-- psycopg decodes three to four times more slowly and Python compares more slowly against any other
-- zone (bench/README.md, "Seventh pass": the engine's day took 1.7 ms against 1.0 in UTC).  SQL
-- that turns an instant into a local date or time names the location's zone and does not change.
-- A database setting, as a parameter group sets it: new sessions take it, and a session setting would
-- pin an RDS Proxy connection.  The owner runs the migrations and may set it.
do $$
begin
  execute format('alter database %I set timezone to %L', current_database(), 'UTC');
end
$$;
