"""/coach insights: what a server's members ask, open and receive, without names.

The knowledge commands count, per server and day (UTC), the `/ask` questions that found
no good match and the entries members opened (`record_unanswered`, `record_open`). No
user id is ever stored with them: a question is kept as typed (trimmed, whitespace
collapsed, lower-cased) only so coaches can see what the knowledge base lacks. Logs say
how long a question was and a short hash, never its words. Everything is kept
`RETENTION_DAYS` days (the retention job prunes the rest).

The report reads those counters and what the features already store: posture nudge and
streak reminder deliveries by outcome, opt-ins, members who logged and the spread of
current streaks.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import UserFacingError
from bot.storage import Storage, Transaction
from bot.storage.insights import AskMiss, EntryOpen, Totals
from bot.storage.privacy import RETENTION_DAYS

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = RETENTION_DAYS
SHOWN = 10
QUESTION_MAX_LENGTH = 200

BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2-3", 2, 3),
    ("4-7", 4, 7),
    ("8+", 8, None),
)
"""(label, lowest, highest) of each current-streak bucket, in weeks."""


def normalize_question(question: str) -> str:
    """How a question is counted: trimmed, whitespace collapsed, lower-cased."""
    return " ".join(question.split()).lower()[:QUESTION_MAX_LENGTH]


def fingerprint(text: str) -> str:
    """A short hash for logs, so a question can be followed without logging its words."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def bucket_of(current: int) -> str:
    for label, low, high in BUCKETS:
        if current >= low and (high is None or current <= high):
            return label
    raise ValueError(f"a streak cannot be negative: {current}")


def validate_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise UserFacingError(
            f"`days` must be a whole number from 1 to {MAX_DAYS} (got {days}): insights "
            f"cover at most the last {MAX_DAYS} days, which is how long Backbone keeps them."
        )
    return days


@dataclass(frozen=True, slots=True)
class Insights:
    days: int
    since: date
    """The first UTC day counted."""
    misses: list[AskMiss]
    miss_totals: Totals
    opens: list[EntryOpen]
    open_totals: Totals
    nudges: dict[str, int]
    reminders: dict[str, int]
    posture_members: int
    reminder_members: int
    members_logged: int
    spread: dict[str, int]
    """Bucket label -> members whose current streak is in it."""


class InsightsService:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock

    def _today(self) -> date:
        return self.clock().astimezone(UTC).date()

    async def record_unanswered(self, guild_id: int, question: str) -> None:
        """Count a question `/ask` found no good match for (0: not in a server)."""
        text = normalize_question(question)
        if not text:
            return
        day = self._today()
        await self.storage.write(lambda tx: tx.insights.record_miss(guild_id, day, text))
        log.debug(
            "Unanswered /ask in server %s: %d characters, #%s",
            guild_id,
            len(text),
            fingerprint(text),
        )

    async def record_open(self, guild_id: int, kind: str, entry_id: str) -> None:
        day = self._today()
        await self.storage.write(lambda tx: tx.insights.record_open(guild_id, day, kind, entry_id))

    async def report(self, guild_id: int, days: int = DEFAULT_DAYS) -> Insights:
        validate_days(days)
        now = self.clock()
        since = now.astimezone(UTC).date() - timedelta(days=days - 1)
        since_at = int(datetime.combine(since, datetime.min.time(), tzinfo=UTC).timestamp())

        def work(tx: Transaction) -> Insights:
            tx.streaks.expire_streaks(now)  # a read unit: lapsed streaks count as 0
            spread = {label: 0 for label, *_ in BUCKETS}
            for current, members in tx.insights.streak_spread(guild_id).items():
                spread[bucket_of(current)] += members
            data = tx.insights
            return Insights(
                days=days,
                since=since,
                misses=data.top_misses(guild_id, since, SHOWN),
                miss_totals=data.miss_totals(guild_id, since),
                opens=data.top_opens(guild_id, since, SHOWN),
                open_totals=data.open_totals(guild_id, since),
                nudges=data.nudge_outcomes(guild_id, since_at),
                reminders=data.reminder_outcomes(guild_id, since_at),
                posture_members=data.posture_members(guild_id),
                reminder_members=data.reminder_members(guild_id),
                members_logged=data.members_logged(guild_id, since),
                spread=spread,
            )

        return await self.storage.read(work)
