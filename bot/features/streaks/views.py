"""Leaderboard page buttons that survive restarts, and the page they show.

A page button's custom id carries everything its page needs, so it keeps working after a
restart and never counts through members:

    leaderboard:<page>:<prev|next>:<board>:<score>:<best>:<total>:<user>:<caller>[:<YYYY-MM>]

the target page, the direction, the board, the edge row of the page it came from (the
keyset cursor: the board's number, best streak, total back days, user id), the member
who ran /leaderboard and, on the month board, the month shown. The page keeps the
caller's "You" line whoever presses: the message is the caller's answer, and a presser
who wants their own rank runs /leaderboard themselves. Buttons of the first version
(`leaderboard:<page>:<side>:<current>:<best>:<total>:<user>`) still work: the streak
board, with the presser's own line as it was then.

Every value is checked before it is used: Discord hands over whatever custom id the
message carries, so a damaged or hand-made one (a number past SQLite's 64-bit integers,
a board that does not exist) gets a clear ephemeral answer, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot.core.replies import Reply
from bot.features.streaks.replies import LEADERBOARD_PAGE_SIZE, leaderboard_embed
from bot.runtime.errors import answer_error
from bot.runtime.replies import send_reply, to_embed
from bot.storage.streaks import BOARD_KINDS, BoardKind, BoardRow

if TYPE_CHECKING:
    from bot.app import Backbone

Side = Literal["prev", "next"]
PREFIX = "leaderboard"
CUSTOM_ID_LIMIT = 100
MAX_SQL_INTEGER = 2**63 - 1
"""SQLite's largest integer: no id or count on a board is beyond it."""
_DIGITS = re.compile(r"[0-9]{1,19}")
_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")

BROKEN_BUTTON = (
    "This leaderboard button is out of date or damaged, so it can't show a page. "
    "Run `/leaderboard` for a fresh board."
)


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:  # guild_only commands; kept for the type checker
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


@dataclass(frozen=True, slots=True)
class PageTarget:
    """What a page button asks for."""

    board: BoardKind
    page: int
    side: Side
    edge: BoardRow
    """The first (prev) or last (next) row of the page the button is on."""
    caller: int | None
    """Who ran /leaderboard; None on a first-version button, which did not say."""
    month: str | None = None
    """The month board's month; None on the other boards."""

    def custom_id(self) -> str:
        e = self.edge
        text = (
            f"{PREFIX}:{self.page}:{self.side}:{self.board}:{e.score}:{e.best}:{e.total}"
            f":{e.user_id}:{self.caller or 0}"
        )
        return text if self.month is None else f"{text}:{self.month}"


def _number(text: str) -> int | None:
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_SQL_INTEGER else None


def parse_custom_id(custom_id: str) -> PageTarget | None:
    """The page a custom id asks for, or None when any part of it is not valid."""
    prefix, _, data = custom_id.partition(":")
    fields = data.split(":")
    if prefix != PREFIX or len(fields) not in (6, 8, 9):
        return None
    if len(fields) == 6:  # first version: the streak board, caller unknown
        page, side, score, best, total, user = fields
        board: str = "streak"
        caller: int | None = None
        month = None
    else:
        page, side, board, score, best, total, user, caller_text = fields[:8]
        month = fields[8] if len(fields) == 9 else None
        caller = _number(caller_text)
        if caller is None:
            return None
    numbers = [_number(text) for text in (page, score, best, total, user)]
    kind = next((k for k in BOARD_KINDS if k == board), None)
    if (
        kind is None
        or side not in ("prev", "next")
        or (kind == "month") != (month is not None)
        or (month is not None and not _MONTH.fullmatch(month))
    ):
        return None
    page_n, score_n, best_n, total_n, user_n = numbers
    if page_n is None or score_n is None or best_n is None or total_n is None or user_n is None:
        return None
    edge = BoardRow(user_n, score_n, best_n, total_n)
    return PageTarget(kind, page_n, "prev" if side == "prev" else "next", edge, caller, month)


class LeaderboardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=PREFIX + r":(?P<data>[\s\S]*)",
):
    """A page button (see the module docstring). The template takes every custom id under
    the prefix, valid or not, so a bad one is answered rather than ignored."""

    def __init__(
        self, target: PageTarget | None, *, custom_id: str | None = None, disabled: bool = False
    ) -> None:
        if target is not None:
            label = "◀ Previous" if target.side == "prev" else "Next ▶"
            custom_id = target.custom_id()
        else:
            label = "Page"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
                disabled=disabled,
            )
        )
        self.target = target

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> LeaderboardButton:
        custom_id = match.string
        return cls(parse_custom_id(custom_id), custom_id=custom_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Component callbacks bypass the command tree's error handler: answer here.
        try:
            target = self.target
            if target is None:
                await send_reply(interaction, Reply(content=BROKEN_BUTTON, ephemeral=True))
                return
            caller = interaction.user.id if target.caller is None else target.caller
            cursor = {"after": target.edge} if target.side == "next" else {"before": target.edge}
            embed, view = await leaderboard_message(
                interaction.client,
                guild_id_of(interaction),
                caller,
                target.board,
                target.page,
                month=target.month,
                **cursor,
            )
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as error:
            await answer_error(interaction, error)


_NO_EDGE = BoardRow(0, 0, 0, 0)


async def leaderboard_message(
    bot: Backbone,
    guild_id: int,
    caller: int,
    board: str,
    page: int,
    *,
    after: BoardRow | None = None,
    before: BoardRow | None = None,
    month: str | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    """The page as `caller` (who ran /leaderboard) sees it, with its page buttons."""
    shown = await bot.streaks.leaderboard(
        guild_id,
        caller,
        LEADERBOARD_PAGE_SIZE,
        board=board,
        page=page,
        after=after,
        before=before,
        month=month,
    )
    first = shown.rows[0].row if shown.rows else _NO_EDGE
    last = shown.rows[-1].row if shown.rows else _NO_EDGE
    has_next = shown.page < shown.pages - 1 and len(shown.rows) == LEADERBOARD_PAGE_SIZE
    previous = PageTarget(shown.board, max(shown.page - 1, 0), "prev", first, caller, shown.month)
    following = PageTarget(shown.board, shown.page + 1, "next", last, caller, shown.month)
    view = discord.ui.View(timeout=None)
    view.add_item(LeaderboardButton(previous, disabled=shown.page == 0))
    view.add_item(LeaderboardButton(following, disabled=not has_next))
    embed = to_embed(
        leaderboard_embed(shown.board, shown.month, shown.page, shown.pages, shown.rows, shown.me)
    )
    return embed, view
