"""What the streak commands reply, as plain `Reply` values."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.replies import EmbedSpec, Field, Reply, plural
from bot.features.streaks.rules import (
    FREEZE_EVERY,
    MAX_FREEZES,
    STRIP_WEEKS,
    StreakStats,
    streak_strip,
)
from bot.storage.streaks import RankedStanding

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


def streak_reply(name: str, stats: StreakStats) -> Reply:
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
        )
    )


def never_logged_reply(name: str, is_self: bool) -> Reply:
    text = (
        "You haven't logged a back day here yet. Start with `/backday log`."
        if is_self
        else f"{name} hasn't logged a back day in this server yet."
    )
    return Reply(content=text, ephemeral=True)


def _standing_line(entry: RankedStanding) -> str:
    s = entry.standing
    return (
        f"`#{entry.rank:>2}` <@{s.user_id}> · 🔥 {weeks(s.current)} · best {weeks(s.best)}"
        f" · {plural(s.total, 'day')}"
    )


def leaderboard_embed(
    page: int, pages: int, rows: list[RankedStanding], me: RankedStanding | None
) -> EmbedSpec:
    listing = "\n".join(_standing_line(r) for r in rows) or "Nobody has logged a back day yet."
    mine = (
        f"You: `#{me.rank}` · 🔥 {weeks(me.standing.current)}"
        f" · best {weeks(me.standing.best)} · {plural(me.standing.total, 'day')}"
        if me is not None
        else "You haven't logged a back day yet: `/backday log` puts you on the board."
    )
    return EmbedSpec(
        title="Back-day leaderboard",
        description=f"{listing}\n\n{mine}",
        footer=(
            f"Page {page + 1}/{max(pages, 1)} · ranked by current weekly streak, then best "
            "streak, then total back days"
        ),
        colour=STREAK_COLOUR,
    )
