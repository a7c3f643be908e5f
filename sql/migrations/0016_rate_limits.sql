-- Limits on what anonymous guests create (docs/decisions.md, "Security"): per location, per client
-- address and per e-mail address, counted in PostgreSQL because API Gateway cannot count per e-mail.
--
-- A sliding-window counter: hits are counted per fixed window, and the estimate weighs the previous
-- window by how much of it still lies inside the sliding one.  The upsert locks the bucket's row, so
-- two requests of one client are counted one after the other, never both against the same total.

create table public.rate_limit_counters (
  location_id uuid not null references public.locations (id) on delete cascade,
  bucket text not null,                 -- 'address:<hash>' or 'email:<hash>': no personal data stored
  window_start timestamptz not null,
  hits integer not null,
  primary key (location_id, bucket, window_start)
);
create index rate_limit_counters_window_idx on public.rate_limit_counters (window_start);
comment on table public.rate_limit_counters is
  'Hits per (location, hashed client or e-mail, window) for guest rate limits; forgotten after a day.';

alter table public.rate_limit_counters enable row level security;
alter table public.rate_limit_counters force row level security;
grant select, insert, update on public.rate_limit_counters to couvert_api;
grant select, insert, update, delete on public.rate_limit_counters to couvert_worker;
create policy "members and guests of a location count its rate limits" on public.rate_limit_counters
  for select to couvert_api using (location_id = any ((select public.readable_location_ids())::uuid[]));
create policy "members and guests of a location add to its rate limits" on public.rate_limit_counters
  for insert to couvert_api with check (location_id = any ((select public.readable_location_ids())::uuid[]));
create policy "members and guests of a location update its rate limits" on public.rate_limit_counters
  for update to couvert_api using (location_id = any ((select public.readable_location_ids())::uuid[]))
  with check (location_id = any ((select public.readable_location_ids())::uuid[]));
create policy "the worker can select every rate_limit_counters row" on public.rate_limit_counters
  for select to couvert_worker using (true);
create policy "the worker can delete every rate_limit_counters row" on public.rate_limit_counters
  for delete to couvert_worker using (true);

-- Counts one hit in each bucket and answers how many seconds the caller must wait (0: go ahead).
-- The caller rolls back when told to wait, so a refused attempt leaves no trace.
create function public.take_rate_limit(p_location_id uuid, p_buckets text[], p_limits integer[],
                                       p_window_seconds integer, p_now timestamptz)
returns integer
language plpgsql as $$
declare
  this_window timestamptz := to_timestamp(floor(extract(epoch from p_now) / p_window_seconds) * p_window_seconds);
  elapsed double precision;
  current_hits integer;
  previous_hits integer;
  wait integer := 0;
begin
  elapsed := extract(epoch from p_now - this_window) / p_window_seconds;
  for i in 1 .. coalesce(array_length(p_buckets, 1), 0) loop
    insert into public.rate_limit_counters as c (location_id, bucket, window_start, hits)
    values (p_location_id, p_buckets[i], this_window, 1)
    on conflict on constraint rate_limit_counters_pkey do update set hits = c.hits + 1
    returning c.hits into current_hits;
    select c.hits into previous_hits from public.rate_limit_counters c
    where c.location_id = p_location_id and c.bucket = p_buckets[i]
      and c.window_start = this_window - make_interval(secs => p_window_seconds);
    if coalesce(previous_hits, 0) * (1 - elapsed) + current_hits > p_limits[i] then
      -- Waiting until this window ends always frees at least one hit.
      wait := greatest(wait, ceil((1 - elapsed) * p_window_seconds)::integer, 1);
    end if;
  end loop;
  return wait;
end
$$;
comment on function public.take_rate_limit(uuid, text[], integer[], integer, timestamptz) is
  'Sliding-window rate limit per (location, bucket); returns the seconds to wait, 0 when allowed.';
