"""Back-day logs, the per-member streak cache and the leaderboards: records and interface."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, TypeAlias

BoardKind = Literal["streak", "month", "all-time"]
BOARD_KINDS: tuple[BoardKind, ...] = ("streak", "month", "all-time")
"""The leaderboards: current weekly streak, back days this calendar month, total back days."""

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    current: int
    best: int
    total: int


@dataclass(frozen=True, slots=True)
class RankedStanding:
    rank: int
    standing: Standing


@dataclass(frozen=True, slots=True)
class Board:
    """One leaderboard: a server's streak or all-time board, or its board of one month."""

    guild_id: int
    kind: BoardKind
    month: str | None = None
    """`YYYY-MM` for the month board (a local calendar month); None for the others."""

    def __post_init__(self) -> None:
        if self.kind not in BOARD_KINDS:
            raise ValueError(f"not a leaderboard: {self.kind!r}")
        if (self.kind == "month") != (self.month is not None):
            raise ValueError("the month board, and only it, names a month")
        if self.month is not None and not _MONTH.fullmatch(self.month):
            raise ValueError(f"not a YYYY-MM month: {self.month!r}")


@dataclass(frozen=True, slots=True)
class BoardRow:
    """A member on one board: the board's own number, then the tie-breaks of every board
    (best streak, then total back days). Rows are ordered by (score, best, total) and then
    by user id, all descending; ties on the numbers share a rank."""

    user_id: int
    score: int
    """Current weekly streak (streak), back days this month (month), total back days
    (all-time, where `total` repeats it)."""
    best: int
    total: int


@dataclass(frozen=True, slots=True)
class RankedRow:
    rank: int
    row: BoardRow


@dataclass(frozen=True, slots=True)
class Hidden:
    """The member hid themselves from every leaderboard (/privacy leaderboard show:False):
    they have no rank, and nobody else's rank counts them."""


Placing: TypeAlias = RankedRow | Hidden | None
"""A member's own line on a board: their rank, hidden, or None when not on the board."""


@dataclass(frozen=True, slots=True)
class MemberStreak:
    """Everything a member's streak in one server is computed from, read at once."""

    timezone: str
    """Their zone: their own, else the server's, else the default."""
    target: int
    """The server's weekly target."""
    days: list[date]
    """Their logged days in the server, oldest first."""
    best: int
    """Their best streak as stored (0 without a row)."""


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of a board as a member sees it, read at once."""

    size: int
    """How many members the board ranks (hidden members left out)."""
    rows: list[RankedRow]
    """The page's rows in rank order, with their board-wide ranks."""
    placing: Placing
    """The member's own line."""
    restarted: bool
    """The cursor asked for reaches nothing any more, so this is the top page instead."""


class StreakStore(Protocol):
    # Writes return nothing, so that on a server they need not wait for it: what they did
    # follows from what the unit read first (`member_streak`). That is sound because the
    # unit's read and writes are one transaction, and a concurrent unit that changed the
    # same member's logs or streak row in between makes one of the two fail and re-run on
    # PostgreSQL (REPEATABLE READ), while on SQLite units run one at a time.

    def member_streak(self, guild_id: int, user_id: int) -> MemberStreak:
        """The member's zone, the server's target, their logged days and stored best."""
        ...

    def logged_days(self, guild_id: int, user_id: int) -> list[date]:
        """The member's logged days in the server, oldest first."""
        ...

    def insert_log(
        self, guild_id: int, user_id: int, day: date, note: str | None, logged_at: datetime
    ) -> None:
        """Log the day; a day already logged is left as it is (note included)."""
        ...

    def logs_between(self, guild_id: int, first: date, last: date) -> list[tuple[int, date]]:
        """(user id, day) of every back day logged in the server from `first` to `last`
        (both included), by member then day."""
        ...

    def delete_log(self, guild_id: int, user_id: int, day: date) -> None:
        """Remove the member's log of that day, if there is one."""
        ...

    def save_stats(
        self,
        guild_id: int,
        user_id: int,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> None:
        """Store the recomputed streak. The stored best never falls: it becomes the greater
        of `best` and the one stored (`member_streak().best`, read earlier in the unit).
        A member with no logs left (`total` 0) has no row."""
        ...

    def log_day(
        self,
        guild_id: int,
        user_id: int,
        day: date,
        note: str | None,
        logged_at: datetime,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> None:
        """Log a day the member has not logged, and store their streak recomputed with it:
        what `insert_log` then `save_stats` do, in one call so that a backend can write
        the member's month row once (/backday log's hot path)."""
        ...

    def expire_streaks(self, now: datetime) -> int:
        """Zero every current streak whose last qualifying week has lapsed by `now`.
        Allowed in a read unit: it commits its own small write when there is one."""
        ...

    def guild_members(self, guild_id: int) -> list[int]:
        """Everyone with a streak row in this server."""
        ...

    def member_guilds(self, user_id: int) -> list[int]:
        """The servers where this member has a streak row."""
        ...

    # --- the leaderboards ---------------------------------------------------------------
    # Members who hid themselves are on no board: not in its rows, not counted in anyone's
    # rank nor in its size. Their streaks and logs are kept and recomputed as usual.

    def board_page(
        self,
        board: Board,
        limit: int,
        user_id: int,
        *,
        after: BoardRow | None = None,
        before: BoardRow | None = None,
        now: datetime | None = None,
    ) -> BoardPage:
        """What `board_size`, `board_rows` (then `board_ranks`) and `board_placing` give,
        for one page and one member, on one state of the board. A cursor that reaches
        nothing, or a `before` cursor with fewer than `limit` rows before it (the board
        changed under an old button), gives the top page instead (`restarted`). With
        `now`, streaks lapsed by then are expired first (`expire_streaks`), so the page
        shows them."""
        ...

    def board_rows(
        self,
        board: Board,
        limit: int,
        *,
        after: BoardRow | None = None,
        before: BoardRow | None = None,
    ) -> list[BoardRow]:
        """Up to `limit` rows in rank order, starting after `after` or ending before
        `before` (keyset paging: the cursor need not be on the board any more)."""
        ...

    def board_ranks(self, board: Board, rows: list[BoardRow]) -> list[RankedRow]:
        """Ranks for consecutive rows of the board in rank order (as `board_rows` returns
        them); ties on (score, best, total) share a rank, and the next rank skips (1, 1, 3)."""
        ...

    def board_placing(self, board: Board, user_id: int) -> Placing:
        """The member's own line: their rank and row; `Hidden()` if they hid themselves
        (whether or not they have a row); None if they are not on this board."""
        ...

    def board_size(self, board: Board) -> int:
        """How many members the board ranks (hidden members left out)."""
        ...

    # The streak board in the shape of the first version (Standing: current, best, total).

    def leaderboard_rows(
        self,
        guild_id: int,
        limit: int,
        *,
        after: Standing | None = None,
        before: Standing | None = None,
    ) -> list[Standing]:
        """Streak-board rows in rank order, starting after `after` or ending before `before`."""
        ...

    def rank_rows(self, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
        """Ranks for consecutive rows in rank order; ties on all three numbers share one."""
        ...

    def standing_of(self, guild_id: int, user_id: int) -> RankedStanding | None:
        """The member's rank on the streak board; None if they have no row or hid
        themselves (`board_placing` tells those two apart)."""
        ...

    def member_count(self, guild_id: int) -> int:
        """How many members the streak board ranks (hidden members left out)."""
        ...
