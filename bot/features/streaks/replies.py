"""What the streak commands reply, as plain `Reply` values."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from bot.core.replies import Attachment, EmbedSpec, Field, Reply, plural
from bot.features.streaks.rules import (
    FREEZE_EVERY,
    MAX_FREEZES,
    STRIP_WEEKS,
    StreakStats,
    streak_strip,
)
from bot.storage.streaks import BoardKind, BoardRow, Hidden, Placing, RankedRow

STREAK_COLOUR = 0xE67E22
LEADERBOARD_PAGE_SIZE = 10


def weeks(n: int) -> str:
    return plural(n, "week")


def day_label(day: date, today: date) -> str:
    shown = f"{day:%a %d %b}"
    if day == today:
        return f"today ({shown})"
    if today - day == timedelta(days=1):
        return f"yesterday ({shown})"
    return f"on {shown}"


def summary_line(stats: StreakStats) -> str:
    freezes = f" · Freezes: {stats.freezes} 🧊" if stats.freezes else ""
    return (
        f"🔥 Streak: **{weeks(stats.current)}** · This week: **{stats.this_week}/{stats.target}**"
        f" · Best: {weeks(stats.best)}{freezes}"
    )


def logged_reply(
    day: date, today: date, stats: StreakStats, *, earned_freeze: bool = False
) -> Reply:
    extra = ""
    if stats.this_week == stats.target:
        extra = "\nThis week counts toward your streak now. 💪"
    if earned_freeze:
        extra += (
            f"\n🧊 {FREEZE_EVERY} more qualifying weeks: you earned a streak freeze "
            f"(you hold {stats.freezes} of {MAX_FREEZES}). If you miss a whole week, it "
            "keeps your streak alive."
        )
    return Reply(
        content=f"✅ Back day logged {day_label(day, today)}.\n{summary_line(stats)}{extra}"
    )


def already_logged_reply(day: date, today: date, stats: StreakStats) -> Reply:
    return Reply(
        content=(
            f"You already logged a back day {day_label(day, today)}: one per day counts, "
            f"so nothing changed.\n{summary_line(stats)}"
        ),
        ephemeral=True,
    )


def undo_reply(removed: date | None, today: date, stats: StreakStats) -> Reply:
    if removed is None:
        return Reply(
            content="Nothing to undo: you have no back day logged for today or yesterday.",
            ephemeral=True,
        )
    return Reply(
        content=f"Removed your back day {day_label(removed, today)}.\n{summary_line(stats)}",
        ephemeral=True,
    )


def streak_reply(name: str, stats: StreakStats, card: Attachment | None = None) -> Reply:
    """Every number in the embed's text; `card` (the heatmap PNG, with its alt text), when
    there is one, shown as the embed's image."""
    return Reply(
        embed=EmbedSpec(
            title=f"{name}'s back-day streak"[:256],
            fields=(
                Field("Current streak", weeks(stats.current), inline=True),
                Field("Best streak", weeks(stats.best), inline=True),
                Field("This week", f"{stats.this_week}/{stats.target} back days", inline=True),
                Field("Total back days", str(stats.total), inline=True),
                Field("Freezes held", f"{stats.freezes} of {MAX_FREEZES} 🧊", inline=True),
                Field(f"Last {STRIP_WEEKS} weeks", streak_strip(stats)),
            ),
            footer=(
                "🟩 target met · 🧊 carried by a freeze · 🟨 some back days · ⬛ none · "
                f"⬜ this week, not yet. Every {FREEZE_EVERY} qualifying weeks earn a freeze."
            ),
            colour=STREAK_COLOUR,
            image=None if card is None else card.url,
        ),
        files=() if card is None else (card,),
    )


def never_logged_reply(name: str, is_self: bool) -> Reply:
    text = (
        "You haven't logged a back day here yet. Start with `/backday log`."
        if is_self
        else f"{name} hasn't logged a back day in this server yet."
    )
    return Reply(content=text, ephemeral=True)


def month_name(month: str) -> str:
    """`2026-11` as "November 2026"."""
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


BOARD_ORDER: dict[BoardKind, str] = {
    "streak": "current weekly streak, then best streak, then total back days",
    "month": "back days this month, then best streak, then total back days",
    "all-time": "total back days, then best streak",
}


def _numbers(kind: BoardKind, row: BoardRow) -> str:
    """What a board shows of a row: its own number first, then the tie-breaks."""
    if kind == "streak":
        return f"🔥 {weeks(row.score)} · best {weeks(row.best)} · {plural(row.total, 'day')}"
    if kind == "month":
        return (
            f"📅 {plural(row.score, 'day')} this month · best {weeks(row.best)}"
            f" · {plural(row.total, 'day')} in all"
        )
    return f"🏋️ {plural(row.total, 'day')} · best {weeks(row.best)}"


def _rank_line(kind: BoardKind, entry: RankedRow) -> str:
    return f"`#{entry.rank:>2}` <@{entry.row.user_id}> · {_numbers(kind, entry.row)}"


def own_line(kind: BoardKind, me: Placing) -> str:
    """The "You" line: always the member who ran /leaderboard, whoever pages."""
    if isinstance(me, RankedRow):
        return f"You: `#{me.rank}` · {_numbers(kind, me.row)}"
    if isinstance(me, Hidden):
        return (
            "You: hidden from every leaderboard, at your request. "
            "`/privacy leaderboard show:True` puts you back."
        )
    if kind == "month":
        return "You haven't logged a back day this month yet: `/backday log` puts you on it."
    return "You haven't logged a back day yet: `/backday log` puts you on the board."


def leaderboard_embed(
    kind: BoardKind,
    month: str | None,
    page: int,
    pages: int,
    rows: list[RankedRow],
    me: Placing,
) -> EmbedSpec:
    title = "Back-day leaderboard"
    if month is not None:
        title += f" · {month_name(month)}"
    elif kind == "all-time":
        title += " · all time"
    empty = "Nobody is on this board yet." if kind != "month" else "Nobody is on it this month yet."
    listing = "\n".join(_rank_line(kind, r) for r in rows) or empty
    return EmbedSpec(
        title=title,
        description=f"{listing}\n\n{own_line(kind, me)}",
        footer=f"Page {page + 1}/{max(pages, 1)} · ranked by {BOARD_ORDER[kind]}",
        colour=STREAK_COLOUR,
    )
