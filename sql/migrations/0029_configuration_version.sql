-- A location's configuration version: a token that changes whenever anything of the location's
-- setup that the availability snapshot reads changes (tickets and their policies, shifts and their
-- exceptions, shift tickets, areas, tables, table groups and their members, table rules).  A function process keeps the setup
-- it read last per location (couvert/snapshots.py), with the days' schedules it has read, and asks
-- PostgreSQL for them again only when the token it holds is no longer the location's: a booking
-- then reads its location and its reservations, not sixty tables again under its lock.
--
-- The token is random, not a counter: a process never confuses two databases (the tests clone
-- one template per test) or a rolled-back change with a later one, and nobody can set a location
-- back to a token a process holds: whatever sets it gets a fresh one (locations_keep_config_version).
alter table public.locations add column config_version uuid not null default gen_random_uuid();
comment on column public.locations.config_version is
  'Changes with every change of the setup the availability snapshot reads; processes cache that setup by it.';

-- Written by the definer: hosts and guests change setup rows through no policy of locations, and
-- a change by an owner or the worker marks the location the same way.
create function public.mark_configuration_changed() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- Both locations of a row moved from one to another (old is null on insert, new on delete).
  update public.locations l set config_version = gen_random_uuid()
  where l.id = any (array[new.location_id, old.location_id]);
  return null;
end
$$;
alter function public.mark_configuration_changed() owner to couvert_definer;
revoke execute on function public.mark_configuration_changed() from public;

-- Every location at once: a truncated setup table, and every migration `couvert migrate` applies (a
-- migration may change what the snapshot reads without touching a row, as 0009 did with the
-- schedule function).  The migration owner reaches the rows through the definer.
create function public.renew_configuration_versions() returns void
language sql security definer set search_path = '' as $$
  update public.locations set config_version = gen_random_uuid();
$$;
alter function public.renew_configuration_versions() owner to couvert_definer;
revoke execute on function public.renew_configuration_versions() from public;

create function public.mark_every_configuration_changed() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform public.renew_configuration_versions();
  return null;
end
$$;
alter function public.mark_every_configuration_changed() owner to couvert_definer;
revoke execute on function public.mark_every_configuration_changed() from public;

grant update (config_version) on public.locations to couvert_definer;
create policy "the definer marks a location's configuration changed" on public.locations
  for update to couvert_definer using (true) with check (true);

do $$
declare
  t text;
begin
  foreach t in array array['policy_sets', 'tickets', 'shifts', 'shift_exceptions', 'shift_tickets', 'areas', 'tables', 'table_groups',
                           'table_group_members', 'table_availability_rules'] loop
    execute format('create trigger %I after insert or update or delete on public.%I for each row '
                   'execute function public.mark_configuration_changed()', t || '_mark_configuration', t);
    execute format('create trigger %I after truncate on public.%I for each statement '
                   'execute function public.mark_every_configuration_changed()', t || '_truncate_marks_all', t);
  end loop;
end
$$;

-- Whoever sets the token gets a fresh one, also on a new location: neither an update nor a location
-- inserted again under an old id can bring back a token a process holds.
create function public.locations_keep_config_version() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'INSERT' or new.config_version is distinct from old.config_version then
    new.config_version := gen_random_uuid();
  end if;
  return new;
end
$$;
create trigger locations_keep_config_version before insert or update of config_version on public.locations
  for each row execute function public.locations_keep_config_version();
