"""What /backday reminder and its DM say, as plain `Reply` values."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.replies import EmbedSpec, Reply, discord_timestamp, plural
from bot.features.streaks.reminder_schedule import DAY_NAMES
from bot.features.streaks.reminders import ReminderClaim, ReminderSet
from bot.storage.backday_reminders import BackdayReminder

REMINDER_COLOUR = 0xE67E22


def when_text(reminder: BackdayReminder, zone: str) -> str:
    return f"{DAY_NAMES[reminder.weekday].title()}s at **{reminder.local_time}** ({zone})"


def reminder_set_reply(result: ReminderSet) -> Reply:
    return Reply(
        content=(
            f"⏰ Streak reminder on: {when_text(result.reminder, result.timezone)}. I'll DM you "
            "then, only in a week when a streak of yours still needs back days. "
            f"First check: {discord_timestamp(result.next_at)}.\n"
            "Turn it off with `/backday reminder day:off`. If your DMs are closed I can't "
            "reach you: open them for this server (Privacy Settings > Direct Messages)."
        ),
        ephemeral=True,
    )


def reminder_off_reply(was_on: bool) -> Reply:
    text = (
        "🔕 Streak reminder off. `/backday reminder` turns it back on."
        if was_on
        else "Your streak reminder was already off."
    )
    return Reply(content=text, ephemeral=True)


def reminder_dm(claim: ReminderClaim, server_names: Mapping[int, str]) -> Reply:
    """The DM: which servers' streaks are at risk and how many back days each still needs."""
    lines = [
        f"**{server_names.get(risk.guild_id, 'a server')}**: your "
        f"{plural(risk.streak, 'week')} streak needs {plural(risk.missing, 'more back day')} "
        "this week."
        for risk in claim.at_risk
    ]
    return Reply(
        embed=EmbedSpec(
            title="🔥 Your streak is at risk this week",
            description="\n".join(lines)
            + "\n\nLog a back day with `/backday log` in that server before Sunday ends.",
            footer="You asked for this weekly reminder with /backday reminder.",
            colour=REMINDER_COLOUR,
        )
    )


def not_yours_reply() -> Reply:
    return Reply(content="This button belongs to the member the reminder was for.", ephemeral=True)
