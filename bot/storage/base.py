"""The storage interface every feature speaks to, whatever the database.

A feature's work against storage is a *unit*: a plain function that receives a
`Transaction` and uses its typed stores (`tx.streaks`, `tx.posture`, ...). `Storage.write`
runs a unit in one transaction, committed if it returns and rolled back if it raises;
`Storage.read` runs it against one consistent state. A unit is synchronous on purpose:
the SQLite backend runs the whole unit in its database thread, so a command's reads,
computation and writes cross between the event loop and the database once, not once
per statement. Features never see a connection, a row or SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from bot.storage.backday_reminders import BackdayReminderStore
from bot.storage.insights import InsightsStore
from bot.storage.posture import PostureStore
from bot.storage.privacy import PrivacyStore
from bot.storage.recaps import RecapStore
from bot.storage.retention import RetentionStore
from bot.storage.schedule import ScheduleStore
from bot.storage.settings import SettingsStore
from bot.storage.state import StateStore
from bot.storage.streaks import StreakStore

T = TypeVar("T")


class Transaction(Protocol):
    """The stores one unit of work may use."""

    @property
    def settings(self) -> SettingsStore: ...
    @property
    def streaks(self) -> StreakStore: ...
    @property
    def posture(self) -> PostureStore: ...
    @property
    def privacy(self) -> PrivacyStore: ...
    @property
    def state(self) -> StateStore: ...
    @property
    def schedule(self) -> ScheduleStore: ...
    @property
    def backday_reminders(self) -> BackdayReminderStore: ...
    @property
    def recaps(self) -> RecapStore: ...
    @property
    def insights(self) -> InsightsStore: ...
    @property
    def retention(self) -> RetentionStore: ...


Unit = Callable[[Transaction], T]


class Storage(Protocol):
    async def read(self, work: Unit[T]) -> T:
        """Run `work` against one consistent state (it should not write)."""
        ...

    async def write(self, work: Unit[T]) -> T:
        """Run `work` in one transaction: committed if it returns, rolled back if it raises."""
        ...

    async def close(self) -> None: ...
