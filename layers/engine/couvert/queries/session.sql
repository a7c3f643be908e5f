-- name: begin_request
select public.begin_request(%(role)s, %(claims)s::jsonb, %(guest_location_id)s::uuid)

-- name: focus_guest
-- What a guest request is about (a reservation or waitlist entry): the only such row it may see.
select set_config('couvert.guest_subject_id', %(subject_id)s::text, true)

-- name: login_is_privileged
-- A superuser or BYPASSRLS login would make every row-level security policy moot.
select rolsuper or rolbypassrls as privileged from pg_catalog.pg_roles where rolname = session_user
