"""What the /privacy commands reply, as plain values."""

from __future__ import annotations

from bot.core.replies import Reply, plural
from bot.storage.privacy import RETENTION_DAYS, MemberSummary

NOT_YOURS = "Only the member who ran /privacy delete can press these buttons."
CANCELLED = "Nothing was deleted."
KEPT_WITHOUT_NAMES = (
    "Not about you: for server admins' /coach insights, Backbone counts per server and "
    "day the /ask questions it could not answer well (their text, never who asked) and "
    "which entries were opened. Those counts, and every nudge and reminder delivery "
    f"record, are deleted after {RETENTION_DAYS} days."
)


def export_filename(user_id: int) -> str:
    return f"backbone-data-{user_id}.json"


def describe(summary: MemberSummary) -> list[str]:
    """What the member has stored, kind by kind, leaving out the kinds they have none of."""
    counts = summary.counts
    parts: list[str] = []
    streak_data = [
        plural(n, unit)
        for n, unit in (
            (counts["backday_logs"], "back-day log"),
            (counts["member_stats"], "streak"),
        )
        if n
    ]
    if streak_data:
        parts.append(f"{' and '.join(streak_data)} in {plural(summary.servers, 'server')}")
    if counts["member_settings"]:
        parts.append("your own settings (timezone, leaderboard visibility)")
    if counts["reminders"]:
        parts.append("your daily posture reminder")
    if counts["nudge_deliveries"]:
        parts.append(f"a posture nudge history of {plural(counts['nudge_deliveries'], 'day')}")
    if counts["topics_seen"]:
        parts.append(f"{plural(counts['topics_seen'], 'posture topic')} marked as seen")
    return parts


def listing(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def export_reply(summary: MemberSummary) -> Reply:
    if summary.total == 0:
        text = (
            "Backbone stores nothing about you. The attached file lists every kind of data "
            "it could hold, all empty."
        )
    else:
        held = listing(describe(summary))
        text = f"Everything Backbone stores about you is in the attached file: {held}."
    return Reply(content=f"📦 {text}\n-# {KEPT_WITHOUT_NAMES}", ephemeral=True)


def delete_prompt(summary: MemberSummary) -> Reply:
    if summary.total == 0:
        return Reply(
            content="Backbone stores nothing about you: there is nothing to delete.", ephemeral=True
        )
    return Reply(
        content=(
            f"⚠️ This deletes everything Backbone stores about you: {listing(describe(summary))}.\n"
            "Your streaks and leaderboard places go too, in every server, and your posture "
            "nudges stop. It cannot be undone: run /privacy export first if you want a copy."
            f"\n-# {KEPT_WITHOUT_NAMES}"
        ),
        ephemeral=True,
    )


def deleted_reply(deleted: MemberSummary) -> Reply:
    if deleted.total == 0:
        return Reply(
            content="There was nothing left to delete: Backbone stores nothing about you.",
            ephemeral=True,
        )
    return Reply(
        content=(
            f"🗑️ Deleted {listing(describe(deleted))}. Backbone now stores nothing about you; "
            "if you use it again, it starts from nothing."
        ),
        ephemeral=True,
    )


def visibility_reply(show: bool, changed: bool) -> Reply:
    """What /privacy leaderboard says: the member's choice now, and what it does."""
    if show:
        text = (
            "👀 You're on the leaderboards of every server again."
            if changed
            else "You're already on the leaderboards: nothing changed."
        )
        text += " `/privacy leaderboard show:False` hides you from all of them."
    else:
        text = (
            "🙈 You're now hidden from the leaderboards of every server: left off every board "
            "and out of everyone's ranks."
            if changed
            else "You're already hidden from every leaderboard: nothing changed."
        )
        text += (
            " Your back days and streaks still count, and `/streak` still shows them. "
            "`/privacy leaderboard show:True` puts you back."
        )
    return Reply(content=text, ephemeral=True)
