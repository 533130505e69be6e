"""What /coach recap and /coach insights reply, and the recap post, as plain values.

Members are named by mention (`<@id>`), which Discord renders as their name; every
message goes out with allowed mentions off, so nobody is pinged. Lists are capped with
"and N more" so every embed stays inside Discord's limits whatever the server's size.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core.replies import (
    FIELD_VALUE_LIMIT,
    EmbedSpec,
    Field,
    Reply,
    clip,
    discord_timestamp,
    join_capped,
    plural,
)
from bot.features.coach.insights import BUCKETS, Insights
from bot.features.coach.recap import RecapStatus
from bot.features.coach.recap_rules import WeekRecap

RECAP_COLOUR = 0xE67E22
INSIGHTS_COLOUR = 0x5865F2
MISSES_SHOWN = 10
OPENS_SHOWN = 10


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _mention(user_id: int) -> str:
    return f"<@{user_id}>"


def recap_embed(recap: WeekRecap) -> EmbedSpec:
    """The recap post (or, for a week in progress, its preview)."""
    span = f"{_day(recap.week)} to {_day(recap.through)}"
    title = f"📊 This week so far: {span}" if recap.in_progress else f"📊 Weekly recap: {span}"
    when = "this week" if recap.in_progress else "last week"
    if recap.total_days:
        description = (
            f"**{plural(recap.total_days, 'back day')}** logged {when} by "
            f"**{plural(recap.members_logged, 'member')}**. "
            f"Weekly target: {plural(recap.target, 'back day')}."
        )
    else:
        description = f"No back days were logged {when}. `/backday log` starts a streak."
    target_list = [
        f"{_mention(a.user_id)} ({a.days})" if a.days > recap.target else _mention(a.user_id)
        for a in recap.hit_target
    ]
    best_list = [f"{_mention(b.user_id)} ({plural(b.best, 'week')})" for b in recap.new_bests]
    top_list = [
        f"{t.rank}. {_mention(t.user_id)} · 🔥 {plural(t.current, 'week')}" for t in recap.top
    ]
    fields = (
        Field(
            f"🎯 Hit the target ({len(target_list)})",
            join_capped(target_list, FIELD_VALUE_LIMIT) or "Nobody yet.",
        ),
        Field(
            f"🏆 New best streaks ({len(best_list)})",
            join_capped(best_list, FIELD_VALUE_LIMIT) or "None this time.",
        ),
        Field(
            "🔥 Top 3 by current streak",
            join_capped(top_list, FIELD_VALUE_LIMIT, "\n") or "No current streaks yet.",
        ),
    )
    footer = (
        "Preview: the recap goes out on Monday about the whole week."
        if recap.in_progress
        else "Log your back days with /backday log. See the full board with /leaderboard."
    )
    return EmbedSpec(title, description, fields, footer, RECAP_COLOUR)


_STATUS = {
    "sending": "being posted",
    "channel": "posted",
    "failed": "failed (check that I can post there)",
    "skipped": "skipped (the bot was down at the time)",
    "uncertain": "may not have been posted (the bot stopped while posting)",
}


def recap_setting_line(status: RecapStatus) -> str:
    recap = status.recap
    if recap is None:
        return (
            "The weekly recap is **off**. `/coach recap channel:` posts one every Monday "
            f"at {status.time} ({status.timezone})."
        )
    line = (
        f"The weekly recap goes to <#{recap.channel_id}> every Monday at **{status.time}** "
        f"({status.timezone}), about the week before."
    )
    if status.next_at is not None:
        line += f"\nNext: {discord_timestamp(status.next_at)}."
    if recap.last_week is not None and recap.last_status is not None:
        week = date.fromisoformat(recap.last_week)
        line += (
            f"\nLast: the week of {_day(week)}, "
            f"{_STATUS.get(recap.last_status, recap.last_status)}."
        )
    return line


def recap_show_reply(status: RecapStatus, preview: WeekRecap) -> Reply:
    return Reply(content=recap_setting_line(status), embed=recap_embed(preview), ephemeral=True)


def recap_on_reply(status: RecapStatus) -> Reply:
    assert status.recap is not None and status.next_at is not None
    return Reply(
        content=(
            f"📊 Weekly recap on: every Monday at **{status.time}** ({status.timezone}) in "
            f"<#{status.recap.channel_id}>, about the week before, with no pings. "
            f"First one: {discord_timestamp(status.next_at)}.\n"
            "`/coach recap` shows a preview; `/coach recap off:true` stops it."
        ),
        ephemeral=True,
    )


def recap_off_reply(was_on: bool) -> Reply:
    text = "📊 Weekly recap off." if was_on else "The weekly recap was already off."
    return Reply(content=text, ephemeral=True)


# --- insights ------------------------------------------------------------------------

_OUTCOMES = (
    ("dm", "sent by DM"),
    ("channel", "in the channel"),
    ("refused", "refused (DMs closed)"),
    ("failed", "failed"),
    ("uncertain", "uncertain"),
)
_OTHER_OUTCOMES = {
    "skipped": "skipped (late after downtime)",
    "safe": "not needed (streak safe)",
    "sending": "being sent",
}
_KIND = {"exercise": "exercise", "situation": "back pain", "posture": "posture"}


def _outcomes(counts: dict[str, int], *, channel: bool) -> str:
    """Every main outcome (zeros included), then any other status that occurred."""
    known = {status for status, _ in _OUTCOMES}
    lines = [
        f"{label}: **{counts.get(status, 0)}**"
        for status, label in _OUTCOMES
        if channel or status != "channel"
    ]
    lines += [
        f"{_OTHER_OUTCOMES.get(status, status)}: **{n}**"
        for status, n in sorted(counts.items())
        if n and status not in known
    ]
    return "\n".join(lines)


def _quoted(question: str) -> str:
    """A stored question shown safely: no markdown, no mentions, one line."""
    flat = " ".join(question.split()).replace("`", "'")
    return f"`{clip(flat, 90)}`"


def insights_reply(insights: Insights, now: datetime) -> Reply:
    since = insights.since
    misses = [f"{_quoted(m.question)} · {plural(m.count, 'time')}" for m in insights.misses]
    more_misses = max(0, insights.miss_totals.distinct - len(misses))
    opens = [
        f"`{o.entry_id}` ({_KIND.get(o.kind, o.kind)}) · {plural(o.count, 'time')}"
        for o in insights.opens
    ]
    more_opens = max(0, insights.open_totals.distinct - len(opens))
    spread = " · ".join(f"{label}: **{insights.spread.get(label, 0)}**" for label, *_ in BUCKETS)
    fields = (
        Field(
            f"❓ /ask could not answer well ({plural(insights.miss_totals.count, 'time')})",
            join_capped(misses, FIELD_VALUE_LIMIT, "\n", more=more_misses)
            or "Nothing: every question found a match.",
        ),
        Field(
            f"📖 Most opened entries ({plural(insights.open_totals.count, 'opening')})",
            join_capped(opens, FIELD_VALUE_LIMIT, "\n", more=more_opens) or "None opened yet.",
        ),
        Field("🧍 Posture nudges", _outcomes(insights.nudges, channel=True), inline=True),
        Field("⏰ Streak reminders", _outcomes(insights.reminders, channel=False), inline=True),
        Field(
            "👥 Members",
            f"Opted in to posture nudges: **{insights.posture_members}**\n"
            f"Streak reminder set: **{insights.reminder_members}**\n"
            f"Logged a back day: **{insights.members_logged}**",
        ),
        Field("🔥 Current streaks (weeks: members)", spread),
    )
    until = now.date()
    return Reply(
        embed=EmbedSpec(
            title=f"📈 Insights: the last {plural(insights.days, 'day')}",
            description=(
                f"{_day(since)} to {_day(until)} (UTC days). Questions and entries are "
                "counted without names; deliveries are those of members whose nudges "
                "follow this server and of members with a streak here."
            ),
            fields=fields,
            footer=(
                "Backbone keeps these counts and delivery history for 90 days. "
                "Add aliases or entries to knowledge/ for questions /ask could not answer."
            ),
            colour=INSIGHTS_COLOUR,
        ),
        ephemeral=True,
    )
