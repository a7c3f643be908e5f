-- Waitlist offers (docs/decisions.md, "Waitlist"): when capacity frees up, the first waiting guest
-- whose wish fits is offered the slot, held for them for a few minutes, one offer at a time per day.
alter table public.waitlist_entries add column reservation_id uuid;
alter table public.waitlist_entries add column offer_expires_at timestamptz;
alter table public.waitlist_entries add constraint waitlist_entries_reservation_fkey
  foreign key (location_id, reservation_id) references public.reservations (location_id, id);
comment on column public.waitlist_entries.reservation_id is
  'The held reservation offered to this guest (status notified); confirmed by the guest, the entry is booked.';
create index waitlist_entries_waiting_idx on public.waitlist_entries (location_id, desired_date, created_at)
  where status = 'active';
create index waitlist_entries_offered_idx on public.waitlist_entries (offer_expires_at) where status = 'notified';

alter table public.reservation_settings add column waitlist_offer_minutes integer not null default 15
  constraint reservation_settings_waitlist_offer_minutes_range check (waitlist_offer_minutes between 5 and 240);
comment on column public.reservation_settings.waitlist_offer_minutes is
  'How long a waitlist offer holds its slot for the guest before it goes to the next in line.';

-- The guest took the offer: the entry is booked (whoever's request confirmed it: the guest's own
-- request cannot otherwise reach the entry).
create function public.waitlist_offer_taken() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.waitlist_entries w set status = 'booked'
  where w.location_id = new.location_id and w.reservation_id = new.id and w.status = 'notified';
  return null;
end
$$;
alter function public.waitlist_offer_taken() owner to couvert_definer;
grant select, update on public.waitlist_entries to couvert_definer;
create policy "the definer reads waitlist entries" on public.waitlist_entries for select to couvert_definer using (true);
create policy "the definer books taken offers" on public.waitlist_entries for update to couvert_definer
  using (true) with check (true);
create trigger reservations_waitlist_offer_taken
  after update of status on public.reservations
  for each row when (old.status = 'draft' and new.status in ('confirmed', 'pending_payment'))
  execute function public.waitlist_offer_taken();
