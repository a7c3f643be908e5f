"""Availability: which arrival times can be booked, and why not the others (docs/engine.md).

Cost: for each (shift, stay length) the engine builds one bitmask per candidate table (bit k =
slot k is free), from the table's sorted occupancy intervals with two bisections per interval;
groups AND their members' masks.  So a day costs O(tables x intervals x log slots) plus a
constant per slot, instead of checking every reservation for every slot.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import accumulate
from operator import itemgetter, sub
from typing import NamedTuple
from uuid import UUID

from couvert.engine.clock import local_date, slot_instant, wall_instant, zone
from couvert.engine.model import (
    AvailabilityRequest,
    Booking,
    EffectiveShift,
    ReasonCode,
    ShiftResult,
    ShiftTicket,
    SlotResult,
    Snapshot,
    Table,
    TableGroup,
    Ticket,
    TicketResult,
)

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)
_MINUTE = dt.timedelta(minutes=1)


class _Counts(NamedTuple):
    """Capacity-holding bookings of one (shift, ticket, date), for pacing and cover limits."""

    starts: tuple[dt.datetime, ...]
    covers_prefix: tuple[int, ...]  # covers_prefix[i] = covers of starts[:i]
    squeeze_count: int
    tableless_covers: int

    @property
    def total_covers(self) -> int:
        return self.covers_prefix[-1]

    def window(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        """(arrivals, covers) with arrival time in [start, end)."""
        i = bisect_left(self.starts, start)
        j = bisect_left(self.starts, end)
        return j - i, self.covers_prefix[j] - self.covers_prefix[i]


_NO_COUNTS = _Counts((), (0,), 0, 0)


class _Candidate(NamedTuple):
    """A table or a table group that can seat the party, in choice order."""

    key: tuple
    table_id: UUID | None
    table_group_id: UUID | None
    mask: int


class _Fit(NamedTuple):
    """Per-slot table fit for one stay shape: which slots have a table, and the choices."""

    any_mask: int
    candidates: tuple[_Candidate, ...]

    def choose(self, k: int) -> _Candidate | None:
        bit = 1 << k
        if not self.any_mask & bit:
            return None
        for candidate in self.candidates:
            if candidate.mask & bit:
                return candidate
        return None  # pragma: no cover - any_mask is the OR of the masks


class AvailabilityEngine:
    """Answers availability questions about one snapshot at one moment `now`."""

    def __init__(self, snapshot: Snapshot, now: dt.datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.snapshot = snapshot
        self.now = now
        self.tz = zone(snapshot.location.timezone)
        self._shift_tickets = {(st.shift_id, st.ticket_id): st for st in snapshot.shift_tickets if st.is_active}
        self._groups = tuple(g for g in snapshot.table_groups if g.is_active)

        # Keyed by the ids' integers: a UUID hashes and compares in Python, an int in C, and a busy
        # day's hundreds of bookings are filed here on every request.
        occupancy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        grouped: dict[tuple[int, int, dt.date], list[Booking]] = defaultdict(list)
        for booking in snapshot.bookings:
            if not booking.holds_capacity(now):
                continue
            grouped[(booking.shift_id.int, booking.ticket_id.int, booking.date)].append(booking)
            if booking.table_ids:
                stay = (booking.start_at, booking.table_free_at)
                for table_id in booking.table_ids:
                    occupancy[table_id.int].append(stay)
        self._occupancy: dict[int, tuple[tuple[dt.datetime, ...], tuple[dt.datetime, ...], dt.timedelta]] = {}
        for table_id, intervals in occupancy.items():
            intervals.sort()
            starts, ends = zip(*intervals, strict=True)  # pairs: the stays (start, free at) as columns
            self._occupancy[table_id] = (starts, ends, max(map(sub, ends, starts)))
        self._counts: dict[tuple[int, int, dt.date], _Counts] = {}
        for key, bookings in grouped.items():
            bookings.sort(key=lambda b: b.start_at)
            self._counts[key] = _Counts(
                starts=tuple(b.start_at for b in bookings),
                covers_prefix=(0, *accumulate(b.party_size for b in bookings)),
                squeeze_count=sum(1 for b in bookings if b.is_squeeze),
                tableless_covers=sum(b.party_size for b in bookings if not b.table_ids),
            )
        self._rules: dict[int, list] = defaultdict(list)
        for rule in snapshot.table_rules:
            self._rules[rule.table_id.int].append(rule)
        self._slot_cache: dict[tuple[dt.date, UUID], tuple[tuple[dt.time, ...], tuple[dt.datetime, ...]]] = {}
        self._mask_cache: dict[tuple, dict[UUID, int]] = {}

    # -- what is offered -------------------------------------------------------------------

    def offered(self, request: AvailabilityRequest) -> list[tuple[Ticket, list[tuple[EffectiveShift, ShiftTicket]]]]:
        """docs/engine.md §2: the tickets offered that day for this party, with their shifts."""
        shifts = self.snapshot.shifts_by_date.get(request.date, ())
        offered = []
        for ticket in sorted(self.snapshot.tickets.values(), key=lambda t: (t.sort_order, t.name)):
            if not ticket.is_active or not ticket.fits_party(request.party_size):
                continue
            if request.ticket_id is not None and ticket.id != request.ticket_id:
                continue
            linked = [(shift, self._shift_tickets[(shift.shift_id, ticket.id)]) for shift in shifts
                      if (shift.shift_id, ticket.id) in self._shift_tickets]
            if linked:
                offered.append((ticket, linked))
        return offered

    def availability(self, request: AvailabilityRequest) -> list[TicketResult]:
        return [TicketResult(ticket, tuple(ShiftResult(shift, self._shift_slots(request, ticket, shift, st))
                                           for shift, st in linked))
                for ticket, linked in self.offered(request)]

    def evaluate(self, request: AvailabilityRequest, ticket_id: UUID,
                 time: dt.time) -> tuple[EffectiveShift, SlotResult] | None:
        """docs/engine.md §8: the same computation for one requested ticket and arrival time.

        None when the time is not an arrival time of the ticket that day.  When several shifts
        offer the time, an available one wins.
        """
        found: tuple[EffectiveShift, SlotResult] | None = None
        for ticket, linked in self.offered(request._replace(ticket_id=ticket_id)):
            for shift, st in linked:
                for slot in self._shift_slots(request, ticket, shift, st, only=time):
                    if slot.available:
                        return shift, slot
                    found = found or (shift, slot)
        return found

    # -- slots of one shift ----------------------------------------------------------------

    def _slot_times(self, shift: EffectiveShift,
                    only: dt.time | None = None) -> tuple[tuple[dt.time, ...], tuple[dt.datetime, ...]]:
        """docs/engine.md §3: start + k * interval, strictly before end; DST gaps skipped.  With
        `only`, that arrival time alone, when it is one."""
        start, end = shift.arrival_minutes()
        if only is not None:
            minute = only.hour * 60 + only.minute
            if only != dt.time(only.hour, only.minute) or not shift.runs_at(only) \
                    or (minute - start) % shift.arrival_interval_minutes:
                return (), ()
            instant = slot_instant(shift.date, only, self.tz)
            return ((only,), (instant,)) if instant is not None else ((), ())
        key = (shift.date, shift.shift_id)
        cached = self._slot_cache.get(key)
        if cached is None:
            walls, instants = [], []
            for minute in range(start, end, shift.arrival_interval_minutes):
                wall = dt.time(minute // 60, minute % 60)
                instant = slot_instant(shift.date, wall, self.tz)
                if instant is not None:
                    walls.append(wall)
                    instants.append(instant)
            cached = self._slot_cache[key] = (tuple(walls), tuple(instants))
        return cached

    def _shift_slots(self, request: AvailabilityRequest, ticket: Ticket, shift: EffectiveShift,
                     st: ShiftTicket, only: dt.time | None = None) -> tuple[SlotResult, ...]:
        """The shift's slots, or with `only` the one at that arrival time (none when it is not one): a
        slot's verdict depends on its own stay alone, so a booking computes one slot, not the shift's."""
        walls, starts = self._slot_times(shift, only)
        if not starts:
            return ()
        counts = self._counts.get((shift.shift_id.int, ticket.id.int, shift.date), _NO_COUNTS)
        interval = dt.timedelta(minutes=shift.arrival_interval_minutes)
        duration = dt.timedelta(minutes=ticket.duration_minutes)
        occupied = duration + dt.timedelta(minutes=ticket.buffer_minutes)

        early_reasons = [self._early_reason(request, ticket, shift, st, counts, s, interval) for s in starts]
        if all(early_reasons):
            normal = squeeze = None
        else:
            normal = self._fit(request, shift, st, starts, [s + occupied for s in starts],
                               [s + duration for s in starts])
            squeeze = None

        results = []
        for k, (wall, s) in enumerate(zip(walls, starts, strict=True)):
            reason = early_reasons[k]
            if reason is not None:
                results.append(SlotResult(wall, s, False, "normal", reason, ticket.duration_minutes))
                continue
            chosen = normal.choose(k)
            if chosen is not None:
                results.append(SlotResult(wall, s, True, "normal", "available", ticket.duration_minutes,
                                          chosen.table_id, chosen.table_group_id, s + occupied))
                continue
            # docs/engine.md §4.7a: squeeze, a second pass with the shorter stay and the squeeze gap.
            squeeze_fits = False
            if ticket.squeeze_enabled:
                if squeeze is None:
                    squeeze = self._squeeze_fit(request, ticket, shift, st, starts)
                if squeeze is not None:
                    chosen = squeeze[0].choose(k)
                    if chosen is not None:
                        squeeze_fits = True
                        limit = ticket.squeeze_limit_per_shift
                        if limit is None or counts.squeeze_count < limit:
                            stay_end = squeeze[1][k]
                            results.append(SlotResult(
                                wall, s, True, "squeeze", "available", round((stay_end - s) / _MINUTE),
                                chosen.table_id, chosen.table_group_id,
                                stay_end + dt.timedelta(minutes=ticket.squeeze_gap_minutes)))
                            continue
            # docs/engine.md §4.7b: overbooking, covers without a table.
            if st.overbooking_covers > 0 and counts.tableless_covers + request.party_size <= st.overbooking_covers:
                results.append(SlotResult(wall, s, True, "normal", "available", ticket.duration_minutes,
                                          None, None, s + occupied))
                continue
            reason = ("squeeze_limit" if squeeze_fits
                      else "overbooking_limit" if st.overbooking_covers > 0 else "tables_full")
            results.append(SlotResult(wall, s, False, "normal", reason, ticket.duration_minutes))
        return tuple(results)

    def _early_reason(self, request: AvailabilityRequest, ticket: Ticket, shift: EffectiveShift,
                      st: ShiftTicket, counts: _Counts, s: dt.datetime,
                      interval: dt.timedelta) -> ReasonCode | None:
        """docs/engine.md §4.1 - 4.6: the checks before tables, in order."""
        if shift.closed:
            return "closed"
        if ticket.allowed_channels is not None and request.channel not in ticket.allowed_channels:
            return "channel_blocked"
        if request.respect_booking_window:
            if s - self.now < ticket.min_advance(request.party_size):
                return "cut_off"
            if (local_date(s, self.tz) - local_date(self.now, self.tz)).days > ticket.booking_max_advance_days:
                return "cut_off"
        if st.pacing_arrivals_limit is not None or st.pacing_covers_limit is not None:
            arrivals, covers = counts.window(s, s + interval)
            if st.pacing_arrivals_limit is not None and arrivals + 1 > st.pacing_arrivals_limit:
                return "pacing_arrivals_full"
            if st.pacing_covers_limit is not None and covers + request.party_size > st.pacing_covers_limit:
                return "pacing_covers_full"
        if st.max_covers_total is not None and counts.total_covers + request.party_size > st.max_covers_total:
            return "max_covers_reached"
        return None

    def _squeeze_fit(self, request: AvailabilityRequest, ticket: Ticket, shift: EffectiveShift,
                     st: ShiftTicket, starts: Sequence[dt.datetime]) -> tuple[_Fit, list[dt.datetime]] | None:
        """The squeeze stay per slot: until squeeze_to_fixed_end_time when that is later than the
        arrival, else squeeze_duration_minutes.  Slots with neither can't be squeezed."""
        fixed_end = (wall_instant(shift.date, ticket.squeeze_to_fixed_end_time, self.tz)
                     if ticket.squeeze_to_fixed_end_time is not None else None)
        duration = (dt.timedelta(minutes=ticket.squeeze_duration_minutes)
                    if ticket.squeeze_duration_minutes else None)
        stay_ends = []
        for s in starts:
            if fixed_end is not None and fixed_end > s:
                stay_ends.append(fixed_end)
            elif duration is not None:
                stay_ends.append(s + duration)
            else:
                stay_ends.append(_FAR_FUTURE)  # not squeezable; sorts last, so ends stay monotone
        if all(e is _FAR_FUTURE for e in stay_ends):
            return None
        gap = dt.timedelta(minutes=ticket.squeeze_gap_minutes)
        occupied_ends = [e if e is _FAR_FUTURE else e + gap for e in stay_ends]
        fit = self._fit(request, shift, st, starts, occupied_ends, stay_ends)
        squeezable = sum(1 << k for k, e in enumerate(stay_ends) if e is not _FAR_FUTURE)
        return _Fit(fit.any_mask & squeezable,
                    tuple(_Candidate(c.key, c.table_id, c.table_group_id, c.mask & squeezable)
                          for c in fit.candidates)), stay_ends

    # -- table fitting (docs/engine.md §5) -----------------------------------------------

    def _fit(self, request: AvailabilityRequest, shift: EffectiveShift, st: ShiftTicket,
             starts: Sequence[dt.datetime], occupied_ends: Sequence[dt.datetime],
             stay_ends: Sequence[dt.datetime]) -> _Fit:
        masks = self._table_masks(shift.date, request.online, st.area_ids, starts, occupied_ends, stay_ends)
        tables = self.snapshot.tables
        party = request.party_size
        candidates: list[_Candidate] = []
        singles = [(self._table_key(table), table) for table in map(tables.__getitem__, masks)
                   if table.min_capacity <= party <= table.max_capacity]
        for key, table in sorted(singles, key=itemgetter(0)):
            candidates.append(_Candidate(key, table.id, None, masks[table.id]))
        groups = []
        for group in self._groups:
            if not group.min_capacity <= party <= group.max_capacity or not group.table_ids:
                continue
            if any(tid not in masks for tid in group.table_ids):
                continue
            mask = -1
            for tid in group.table_ids:
                mask &= masks[tid]
            groups.append(_Candidate(self._group_key(group), None, group.id, mask))
        candidates.extend(sorted(groups, key=lambda c: c.key))
        any_mask = 0
        for candidate in candidates:
            any_mask |= candidate.mask
        return _Fit(any_mask, tuple(candidates))

    def _table_key(self, table: Table) -> tuple:
        """Choice order: single before group, smallest max_capacity, highest priority, area
        sort_order, name (the same rule for availability, booking and auto_assign_table)."""
        return (0, table.max_capacity, -table.priority, self.snapshot.areas[table.area_id].sort_order, table.name)

    def _group_key(self, group: TableGroup) -> tuple:
        tables = [self.snapshot.tables[tid] for tid in group.table_ids]
        return (1, group.max_capacity, -max(t.priority for t in tables),
                min(self.snapshot.areas[t.area_id].sort_order for t in tables), group.name)

    def _eligible_tables(self, online: bool, area_ids: frozenset[UUID]) -> Iterable[Table]:
        areas = self.snapshot.areas
        for table in self.snapshot.tables.values():
            if not table.is_active or (online and not table.online_bookable):
                continue
            area = areas.get(table.area_id)
            if area is None or not area.is_active or (area_ids and table.area_id not in area_ids):
                continue
            yield table

    def _table_masks(self, day: dt.date, online: bool, area_ids: frozenset[UUID],
                     starts: Sequence[dt.datetime], occupied_ends: Sequence[dt.datetime],
                     stay_ends: Sequence[dt.datetime]) -> dict[UUID, int]:
        """Bit k of a table's mask: the table can take slot k's stay (capacity aside)."""
        key = (day, online, area_ids, tuple(starts), tuple(occupied_ends), tuple(stay_ends))
        cached = self._mask_cache.get(key)
        if cached is not None:
            return cached
        full = (1 << len(starts)) - 1
        window_start, window_end = starts[0], max(occupied_ends[-1], stay_ends[-1])
        masks: dict[UUID, int] = {}
        for table in self._eligible_tables(online, area_ids):
            mask = full
            occupancy = self._occupancy.get(table.id.int)
            if occupancy is not None:
                occ_starts, occ_ends, longest = occupancy
                i = bisect_left(occ_starts, window_start - longest)
                j = bisect_left(occ_starts, window_end)
                for a, b in zip(occ_starts[i:j], occ_ends[i:j], strict=True):
                    # slot k is blocked when starts[k] < b and occupied_ends[k] > a
                    mask &= ~_bit_range(bisect_right(occupied_ends, a), bisect_left(starts, b))
            rules = self._rules.get(table.id.int)
            if rules:
                mask &= self._rule_mask(rules, day, starts, stay_ends, full)
            masks[table.id] = mask
        self._mask_cache[key] = masks
        return masks

    def _rule_mask(self, rules, day: dt.date, starts: Sequence[dt.datetime],
                   stay_ends: Sequence[dt.datetime], full: int) -> int:
        """Block rules forbid any stay overlapping their window; when a table has allow rules,
        the arrival must fall inside one of them that applies that day."""
        mask = full
        allowed, has_allow = 0, False
        for rule in rules:
            if rule.rule_type == "allow":
                has_allow = True
                if rule.applies_on(day):
                    lo = wall_instant(day, rule.start_time, self.tz)
                    hi = wall_instant(day, rule.end_time, self.tz)
                    allowed |= _bit_range(bisect_left(starts, lo), bisect_left(starts, hi))
                continue
            for rule_day in (day, day + dt.timedelta(days=1)):  # a stay may run past midnight
                if rule.applies_on(rule_day):
                    lo = wall_instant(rule_day, rule.start_time, self.tz)
                    hi = wall_instant(rule_day, rule.end_time, self.tz)
                    mask &= ~_bit_range(bisect_right(stay_ends, lo), bisect_left(starts, hi))
        return mask & allowed if has_allow else mask

    def seat_is_free(self, day: dt.date, table_id: UUID | None, table_group_id: UUID | None,
                     start: dt.datetime, stay_end: dt.datetime, occupied_until: dt.datetime) -> bool:
        """An operator's chosen table (or group): active, allowed by its rules and free for the stay
        plus buffer.  Capacity is the host's call, so it is not checked."""
        masks = self._table_masks(day, False, frozenset(), [start], [occupied_until], [stay_end])
        if table_id is not None:
            return bool(masks.get(table_id, 0) & 1)
        group = next((g for g in self._groups if g.id == table_group_id), None)
        return bool(group and group.table_ids and all(masks.get(t, 0) & 1 for t in group.table_ids))

    # -- auto_assign_table -----------------------------------------------------------------

    def choose_table(self, booking: Booking, online: bool = False) -> tuple[UUID | None, UUID | None]:
        """The engine's choice for an existing unassigned booking (the snapshot must not hold the
        booking itself); (None, None) when nothing fits."""
        shifts = {s.shift_id: s for s in self.snapshot.shifts_by_date.get(booking.date, ())}
        shift = shifts.get(booking.shift_id)
        st = self._shift_tickets.get((booking.shift_id, booking.ticket_id))
        if shift is None or st is None:
            return None, None
        ticket = self.snapshot.tickets[booking.ticket_id]
        request = AvailabilityRequest(booking.date, booking.party_size, "widget" if online else "phone")
        stay_end = booking.end_at or min(booking.start_at + dt.timedelta(minutes=ticket.duration_minutes),
                                         booking.occupied_until)
        fit = self._fit(request, shift, st, [booking.start_at], [booking.occupied_until], [stay_end])
        chosen = fit.choose(0)
        return (chosen.table_id, chosen.table_group_id) if chosen else (None, None)


def _bit_range(lo: int, hi: int) -> int:
    """Bits lo .. hi-1 set (0 when the range is empty)."""
    return ((1 << (hi - lo)) - 1) << lo if hi > lo else 0


class CalendarDay(NamedTuple):
    date: dt.date
    status: str  # available | full | closed
    available_slots: int
    first_available: dt.time | None


def calendar_day(results: list[TicketResult], day: dt.date) -> CalendarDay:
    """One day of the calendar: available when any slot is; closed when nothing runs or every
    offered shift is closed; otherwise full.  available_slots counts distinct arrival times."""
    times = sorted({slot.time for t in results for s in t.shifts for slot in s.slots if slot.available})
    if times:
        return CalendarDay(day, "available", len(times), times[0])
    running = [s for t in results for s in t.shifts if not s.shift.closed]
    return CalendarDay(day, "full" if running else "closed", 0, None)
