-- name: begin_request
select public.begin_request(%(role)s, %(claims)s::jsonb, %(guest_location_id)s::uuid)
