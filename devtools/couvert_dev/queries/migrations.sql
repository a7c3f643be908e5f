-- name: create_schema_migrations
create table if not exists public.schema_migrations (
  filename text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()
)

-- name: lock_migrations
select pg_advisory_lock(%(key)s)

-- name: unlock_migrations
select pg_advisory_unlock(%(key)s)

-- name: applied_migrations
select filename, checksum from public.schema_migrations

-- name: record_migration
insert into public.schema_migrations (filename, checksum) values (%(filename)s, %(checksum)s)

-- name: renew_configuration_versions
-- With every migration applied, in its transaction: a migration can change what the snapshot reads
-- without touching a row, so every location's setup is read afresh by the running functions
-- (migration 0029; before it there is nothing to renew).
do $$
begin
  if to_regprocedure('public.renew_configuration_versions()') is not null then
    perform public.renew_configuration_versions();
  end if;
end
$$
