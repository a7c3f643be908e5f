-- Who may refund outside the cancellation policy (docs/decisions.md, "Security"): owners and
-- managers; a host's cancellation gives what the policy gives a guest.

create or replace function public.refund_cents(
  p_reservation public.reservations, p_to text, p_actor_type text, p_now timestamptz)
returns bigint
language plpgsql stable as $$
declare
  paid bigint := case when p_reservation.payment_status = 'paid'
                      then round(coalesce(p_reservation.payment_amount, 0) * 100)::bigint else 0 end;
  terms jsonb := p_reservation.policy_snapshot;
begin
  if paid = 0 then
    return 0;
  end if;
  if p_to = 'no_show' then
    return case when coalesce((terms ->> 'noshow_keep_deposit')::boolean, true) then 0 else paid end;
  end if;
  if p_to <> 'cancelled' then
    return 0;
  end if;
  -- Outside the policy only an owner or manager of the location refunds in full; a host's
  -- cancellation follows the policy a guest would get.
  if p_actor_type in ('operator', 'assistant')
     and p_reservation.location_id = any (public.operator_location_ids(array['owner', 'manager'])) then
    return paid;
  end if;
  if p_now <= p_reservation.start_at - make_interval(hours => coalesce((terms ->> 'cancel_free_hours')::int, 0)) then
    return paid;
  end if;
  return paid * coalesce((terms ->> 'cancel_refund_pct')::int, 100) / 100;
end
$$;
