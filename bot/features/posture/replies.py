"""What the posture commands and nudges say, as plain `Reply` values."""

from __future__ import annotations

from datetime import datetime

from bot.core.replies import EmbedSpec, Field, Reply, discord_timestamp
from bot.features.knowledge import KnowledgeBase, source_line
from bot.features.posture.service import PostureStatus
from bot.storage.posture import Reminder

POSTURE_COLOUR = 0x3BA55D
OPEN_DMS_HOWTO = (
    "To let me DM you: open this server's menu (its name at the top left) > "
    "**Privacy Settings** > turn on **Direct Messages**, then run `/posture on` again."
)
_STATUS_WORDS = {
    "dm": "sent by DM",
    "channel": "posted in the server's nudge channel (your DMs were closed)",
    "refused": "not delivered: your DMs are closed and this server has no nudge channel",
    "skipped": "skipped: it fell due while I was offline for more than 2 hours",
    "failed": "not delivered: Discord gave an error",
    "uncertain": "possibly not delivered: I stopped while sending it",
    "sending": "being sent",
}


def _schedule(reminder: Reminder, zone: str) -> str:
    return f"{reminder.days} at **{reminder.local_time}** ({zone})"


def nudge_embed(kb: KnowledgeBase, topic_id: str, *, snoozed: bool = False) -> EmbedSpec:
    topic = kb.posture_topics[topic_id]
    heading = "⏰ Snoozed posture nudge" if snoozed else "🧍 Posture nudge"
    return EmbedSpec(
        title=f"{heading}: {topic.title}",
        description=topic.text,
        footer=source_line(kb, topic.source),
        colour=POSTURE_COLOUR,
    )


def fallback_content(user_id: int) -> str:
    """The channel post for a member whose DMs are closed: it mentions just them."""
    return f"<@{user_id}>, your DMs are closed, so here is your posture nudge."


def welcome_dm(reminder: Reminder, zone: str, next_at: datetime) -> Reply:
    return Reply(
        content=(
            f"👋 You're set up for a daily posture nudge: {_schedule(reminder, zone)}.\n"
            f"Next nudge: {discord_timestamp(next_at)}.\n"
            "Each nudge has buttons to snooze it for an hour or turn nudges off; "
            "`/posture status` shows your settings."
        )
    )


def opted_in_reply(
    reminder: Reminder,
    zone: str,
    next_at: datetime,
    *,
    dm_refused: bool,
    fallback_channel_id: int | None,
) -> Reply:
    lines = [
        f"✅ Posture nudges on: {_schedule(reminder, zone)}.",
        f"Next nudge: {discord_timestamp(next_at)}.",
    ]
    if not dm_refused:
        lines.append("I've sent you a DM to check that nudges reach you.")
    else:
        lines.append(f"⚠️ I couldn't DM you. {OPEN_DMS_HOWTO}")
        if fallback_channel_id is not None:
            lines.append(
                f"Until then your nudges go to <#{fallback_channel_id}>, mentioning only you."
            )
        else:
            lines.append("Until then no nudge can reach you: this server has no nudge channel.")
    return Reply(content="\n".join(lines), ephemeral=True)


def opted_out_reply(was_on: bool) -> Reply:
    if was_on:
        return Reply(
            content="🔕 Posture nudges are off. `/posture on` starts them again.", ephemeral=True
        )
    return Reply(
        content="Posture nudges were already off. `/posture on` starts them.", ephemeral=True
    )


def status_reply(status: PostureStatus) -> Reply:
    reminder = status.reminder
    if reminder is None:
        description = "You're not getting posture nudges. `/posture on` starts them."
        fields: list[Field] = []
    else:
        description = f"On: {_schedule(reminder, status.timezone)}."
        if reminder.dm_refused_at is not None:
            delivery = (
                f"Your DMs were closed, so nudges go to <#{status.fallback_channel_id}> "
                "with a mention of you."
                if status.fallback_channel_id is not None
                else "Your DMs were closed and this server has no nudge channel, "
                "so nudges cannot reach you."
            )
            delivery += f"\n{OPEN_DMS_HOWTO}"
        else:
            delivery = "By DM."
        fields = [Field("Delivery", delivery)]
        if status.next_at is not None:
            fields.insert(0, Field("Next nudge", discord_timestamp(status.next_at)))
    if status.last is not None:
        last = status.last
        fields.append(
            Field("Last nudge", f"{last.local_day}: {_STATUS_WORDS.get(last.status, last.status)}")
        )
    return Reply(
        embed=EmbedSpec(
            title="Your posture nudges",
            description=description,
            fields=tuple(fields),
            colour=POSTURE_COLOUR,
        ),
        ephemeral=True,
    )


def snoozed_reply(at: datetime | None) -> Reply:
    if at is None:
        return Reply(
            content="Your posture nudges are off, so there is nothing to snooze.", ephemeral=True
        )
    return Reply(
        content=f"⏰ Snoozed: I'll nudge you again {discord_timestamp(at)}.", ephemeral=True
    )


def not_yours_reply() -> Reply:
    return Reply(content="These buttons belong to the member this nudge was for.", ephemeral=True)
