"""The location's setup a function process holds between requests (couvert/snapshots.py reads it):
what of a snapshot depends on the location's configuration only, kept under the location's
config_version (migration 0029), with the schedules of the days read under that version."""

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import NamedTuple
from uuid import UUID

from couvert.engine.model import Area, EffectiveShift, ShiftTicket, Table, TableGroup, TableRule, Ticket

Days = dict[dt.date, tuple[EffectiveShift, ...]]  # a schedule per date


class Setup(NamedTuple):
    """What of a snapshot depends on the location's configuration only; shared by the requests of a
    process, so its mappings are read-only views."""

    version: UUID
    tickets: Mapping[UUID, Ticket]
    shift_tickets: tuple[ShiftTicket, ...]
    areas: Mapping[UUID, Area]
    tables: Mapping[UUID, Table]
    table_groups: tuple[TableGroup, ...]
    table_rules: tuple[TableRule, ...]
    # The schedules of the days read so far under this version (added to under the cache's lock; a
    # dict of its own for each setup: give it one).
    days: Days


class SetupCache:
    """The setups this process read last, at most `size` locations (the least recently used go first).
    Threads share it (the development server, the lock benchmark)."""

    def __init__(self, size: int = 256, max_days: int = 400) -> None:
        self.size, self.max_days = size, max_days
        self._setups: OrderedDict[UUID, Setup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, location_id: UUID) -> Setup | None:
        with self._lock:
            setup = self._setups.get(location_id)
            if setup is not None:
                self._setups.move_to_end(location_id)
            return setup

    def put(self, location_id: UUID, setup: Setup) -> None:
        with self._lock:
            self._setups[location_id] = setup
            self._setups.move_to_end(location_id)
            while len(self._setups) > self.size:
                self._setups.popitem(last=False)

    def held_days(self, setup: Setup, dates: Sequence[dt.date]) -> Days | None:
        """The schedules of `dates` when the setup holds every one of them."""
        with self._lock:
            if all(day in setup.days for day in dates):
                return {day: setup.days[day] for day in dates}
        return None

    def add_days(self, setup: Setup, days: Days) -> None:
        with self._lock:
            if len(setup.days) + len(days.keys() - setup.days.keys()) > self.max_days:
                setup.days.clear()
            setup.days.update(days)

    def clear(self) -> None:
        with self._lock:
            self._setups.clear()


SETUPS = SetupCache()
