"""The `/streak` card: a PNG of the last 26 weeks as a heatmap, with the streak's numbers.

Pure rendering with Pillow: plain values in (`CardData`, built from `StreakStats` and the
logged days by `card_data`), PNG bytes out (`render_card`). No Discord, no storage.

The card is an opaque dark rounded card with its own border, so it reads the same on
Discord's dark and light themes; text on it keeps a contrast of at least 7:1, and a
logged day's cell at least 4.5:1 against an empty one. Colour is never the only signal:
logged days are light cells on dark ones, weeks that met the target carry a triangle
under their column, weeks a freeze carried are outlined and carry a snowflake, and a
legend names all three. Everything drawn is also in the embed text and in
`card_description`, the image's alt text.

Text is drawn with DejaVu Sans, vendored under `fonts/` (package data), so no system font
is needed. Characters the font cannot draw (emoji, CJK) and right-to-left scripts (which
need shaping this basic layout does not do) are left out of the name on the card; the
embed title above it shows the name in full.

The PNG is a palette image (every colour the card uses, with its antialiasing shades and
the transparent rounded corners): about 12 kB, and quick to encode.

`render_card` is CPU work of a few milliseconds: the cog runs it off the event loop
(`CardCache.png` does `asyncio.to_thread`), one card at a time, handing the GIL over
between its steps, and `CardCache` keeps the last PNG per member for as long as nothing
drawn on it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import math
import multiprocessing
import os
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.core.replies import ATTACHMENT_DESCRIPTION_LIMIT, Attachment
from bot.features.streaks.rules import MAX_FREEZES, WEEK, StreakStats

log = logging.getLogger(__name__)

CARD_FILENAME = "streak.png"
CARD_WEEKS = 26
"""Columns of the heatmap: this week and the 25 before it."""
CARD_SIZE = WIDTH, HEIGHT = 800, 360
RENDER_TIMEOUT = 1.5
"""Seconds a `/streak` waits for its card before answering without it (Discord wants an
answer within 3)."""
RENDER_VERSION = 1
"""Part of every fingerprint: bump it when the drawing changes."""

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"

# --- colours (RGB). The card is opaque, so the contrast inside it does not depend on
# Discord's theme; its border (at least 2:1 against every dark theme's background, 6:1 on
# white) keeps its edge visible. Ratios are WCAG contrast ratios. Every component is a
# multiple of 4, so Pillow's palette mapping (which looks colours up in steps of 4) keeps
# each exactly.
BACKGROUND = (24, 28, 40)
BORDER = (88, 100, 124)
TEXT = (244, 244, 248)  # 15.5:1 on the background
MUTED = (168, 176, 192)  # 7.8:1 on the background
EMPTY = (44, 56, 72)  # a day without a log: a grid you can see, 1.4:1 on the background
FILLED = (252, 160, 68)  # a logged day: 5.8:1 against an empty cell, 8.3:1 on the background
QUALIFY = (88, 212, 144)  # the triangle under a week that met the target: 9.1:1
ICE = (124, 212, 252)  # a week a freeze carried, outline and snowflake: 10.3:1

# --- layout, in pixels of the 800 x 360 card (Discord shows it at about half that).
PAD = 24
RADIUS = 20
BORDER_WIDTH = 2
CELL = 18
PITCH = 22
"""Cell plus gap, across and down."""
GRID_LEFT = 62
GRID_TOP = 180
GRID_RIGHT = GRID_LEFT + (CARD_WEEKS - 1) * PITCH + CELL
GRID_BOTTOM = GRID_TOP + 6 * PITCH + CELL
MARKER = 12
MARKER_TOP = GRID_BOTTOM + 6
OUTLINE_MARGIN = 3
"""A frozen week's outline sits this far outside its column's cells."""
LEGEND_LEFT = GRID_RIGHT + 20
LEGEND_PITCH = 30
TILE_WIDTH = 188
VALUE_BASELINE = 104
LABEL_TOP = 114
MONTH_BASELINE = GRID_TOP - 10
MONTH_GAP = 8
"""Least room between two month labels; a label that would crowd the last is left out."""
# Text sizes: Discord shows the card at about half size (less on a phone), so the
# smallest text here still reads at about 7-8 px there; the numbers at about 16 px.
DAY_SIZE = 15
MONTH_SIZE = 16
LEGEND_SIZE = 16
STAT_LABEL_SIZE = 17

DAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri", 6: "Sun"}
HEADER_RIGHT = f"back-day streak · last {CARD_WEEKS} weeks"
STAT_LABELS = ("current streak", "best streak", "this week", "freezes held")
LEGEND = ("back day", "no back day", "target met", "freeze used")
UNNAMED = "Back-day streak"
"""The header when the font can draw nothing of the name."""
NAME_GAP = 20
COMPRESS_LEVEL = 6
NOTDEF_PROBE = "\U0010fffd"
"""A private-use code point no font maps: it draws the font's "missing glyph" box."""
RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})

_yield: Callable[[], object] = getattr(os, "sched_yield", lambda: time.sleep(0))
_render_lock = threading.Lock()
"""One render at a time: the fonts' FreeType faces are not shared across threads, and a
queue of renders then holds the GIL from one thread, not many."""


# --- the data drawn ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardData:
    """Everything the card draws, and nothing else: equal data, identical card."""

    name: str
    week: date
    """This week's Monday in the member's own calendar: the last column."""
    days: frozenset[date]
    """Logged days inside the card's window."""
    target: int
    current: int
    best: int
    this_week: int
    freezes: int
    frozen_weeks: frozenset[date]
    """Mondays, inside the window, of weeks a freeze carried the streak through."""
    qualifying_weeks: frozenset[date]
    """Mondays, inside the window, of weeks that met the target."""

    @property
    def first_week(self) -> date:
        return self.week - (CARD_WEEKS - 1) * WEEK


def card_data(name: str, stats: StreakStats, days: Iterable[date]) -> CardData:
    """The card for `stats`, from the member's logged days (any span; the window is kept)."""
    if stats.week is None:
        raise ValueError("the card needs the stats' week (StreakStats.week)")
    week = stats.week
    first = week - (CARD_WEEKS - 1) * WEEK
    window = frozenset(d for d in days if first <= d < week + WEEK)
    per_week = Counter(d - timedelta(days=d.weekday()) for d in window)
    return CardData(
        name=name,
        week=week,
        days=window,
        target=stats.target,
        current=stats.current,
        best=stats.best,
        this_week=stats.this_week,
        freezes=stats.freezes,
        frozen_weeks=frozenset(w for w in stats.frozen_weeks if first <= w <= week),
        qualifying_weeks=frozenset(w for w, n in per_week.items() if n >= stats.target),
    )


def week_columns(data: CardData) -> tuple[date, ...]:
    """The Monday of each column, oldest first; the last is this week."""
    return tuple(data.first_week + n * WEEK for n in range(CARD_WEEKS))


def column_of(data: CardData, day: date) -> int | None:
    """The column showing `day`, or None when it is outside the window."""
    column = (day - data.first_week).days // 7
    return column if 0 <= column < CARD_WEEKS else None


def fingerprint(data: CardData) -> bytes:
    """A digest of everything drawn: a new log, a new name or number changes it."""
    canonical = (
        RENDER_VERSION,
        data.name,
        data.week.toordinal(),
        data.target,
        data.current,
        data.best,
        data.this_week,
        data.freezes,
        sorted(d.toordinal() for d in data.days),
        sorted(d.toordinal() for d in data.frozen_weeks),
        sorted(d.toordinal() for d in data.qualifying_weeks),
    )
    return hashlib.blake2b(repr(canonical).encode(), digest_size=16).digest()


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def card_description(data: CardData) -> str:
    """The card's alt text, for screen readers: every number it shows, in words."""
    name = data.name if len(data.name) <= 100 else data.name[:99] + "…"
    last_day = data.week + timedelta(days=6)
    text = (
        f"Back-day streak card for {name}. Current streak {_plural(data.current, 'week')}, "
        f"best streak {_plural(data.best, 'week')}, {data.freezes} of {MAX_FREEZES} freezes "
        f"held, this week {data.this_week} of {data.target} back days. Heatmap of the last "
        f"{CARD_WEEKS} weeks ({data.first_week:%d %b %Y} to {last_day:%d %b %Y}), one column "
        f"a week and one cell a day: {_plural(len(data.days), 'back day')} logged, "
        f"{_plural(len(data.qualifying_weeks), 'week')} met the target of "
        f"{_plural(data.target, 'back day')}, "
        f"{_plural(len(data.frozen_weeks), 'week')} carried by a freeze."
    )
    return text[:ATTACHMENT_DESCRIPTION_LIMIT]


# --- geometry (tests sample pixels where these say) -----------------------------------


Box = tuple[int, int, int, int]
"""left, top, right, bottom; right and bottom exclusive."""


def cell_box(column: int, row: int) -> Box:
    """The cell of weekday `row` (0 Monday ... 6 Sunday) in week `column` (0 oldest)."""
    x, y = GRID_LEFT + column * PITCH, GRID_TOP + row * PITCH
    return x, y, x + CELL, y + CELL


def cell_centre(column: int, row: int) -> tuple[int, int]:
    x0, y0, _, _ = cell_box(column, row)
    return x0 + CELL // 2, y0 + CELL // 2


def day_cell(data: CardData, day: date) -> Box | None:
    column = column_of(data, day)
    return None if column is None else cell_box(column, day.weekday())


def marker_box(column: int) -> Box:
    """Under the column: a triangle if the week met the target, a snowflake if frozen."""
    x = GRID_LEFT + column * PITCH + (CELL - MARKER) // 2
    return x, MARKER_TOP, x + MARKER, MARKER_TOP + MARKER


def marker_centre(column: int) -> tuple[int, int]:
    x0, y0, _, _ = marker_box(column)
    return x0 + MARKER // 2, y0 + MARKER // 2


def outline_box(column: int) -> Box:
    """The outline drawn around a frozen week's column."""
    x0, y0, x1, _ = cell_box(column, 0)
    m = OUTLINE_MARGIN
    return x0 - m, y0 - m, x1 + m, GRID_BOTTOM + m


# --- drawing helpers ----------------------------------------------------------------

SUPERSAMPLE = 4
RGB = tuple[int, int, int]


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = BOLD_FONT if bold else REGULAR_FONT
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _smooth_mask(
    size: tuple[int, int], paint: Callable[[ImageDraw.ImageDraw, int], None]
) -> Image.Image:
    """An antialiased mask: `paint(draw, scale)` paints white at `scale` times the size."""
    big = Image.new("L", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), 0)
    paint(ImageDraw.Draw(big), SUPERSAMPLE)
    return big.resize(size, Image.Resampling.BOX)


def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    def paint(d: ImageDraw.ImageDraw, s: int) -> None:
        d.rounded_rectangle((0, 0, width * s - 1, height * s - 1), radius * s, fill=255)

    return _smooth_mask((width, height), paint)


def _stamp(colour: RGB, mask: Image.Image) -> Image.Image:
    """`colour` shaped by `mask`: an RGBA stamp, pasted with itself as the mask."""
    stamp = Image.new("RGBA", mask.size, (*colour, 255))
    stamp.putalpha(mask)
    return stamp


@cache
def _cell_tile(colour: RGB) -> Image.Image:
    """An opaque cell on the card's background, its rounded corners antialiased."""
    tile = Image.new("RGB", (CELL, CELL), BACKGROUND)
    stamp = _stamp(colour, _rounded_mask(CELL, CELL, 4))
    tile.paste(stamp, (0, 0), stamp)
    return tile


@cache
def _triangle() -> Image.Image:
    def paint(d: ImageDraw.ImageDraw, s: int) -> None:
        top, low, high = (MARKER * s / 2, s), s, MARKER * s - s
        d.polygon([top, (high, high), (low, high)], fill=255)

    return _stamp(QUALIFY, _smooth_mask((MARKER, MARKER), paint))


@cache
def _snowflake(size: int) -> Image.Image:
    """Six arms with a pair of branches each, round a solid hub."""

    def paint(d: ImageDraw.ImageDraw, s: int) -> None:
        c = size * s / 2
        arm = c - s
        width = max(1, round(size * s / 9))
        for k in range(6):
            a = math.pi / 2 + k * math.pi / 3
            dx, dy = math.cos(a), -math.sin(a)
            d.line([(c, c), (c + arm * dx, c + arm * dy)], fill=255, width=width)
            bx, by = c + 0.55 * arm * dx, c + 0.55 * arm * dy
            for turn in (-1, 1):
                b = a + turn * math.pi / 4
                tip = (bx + 0.35 * arm * math.cos(b), by - 0.35 * arm * math.sin(b))
                d.line([(bx, by), tip], fill=255, width=width)
        hub = 1.5 * s  # a solid centre, so the flake's middle is its full colour
        d.ellipse((c - hub, c - hub, c + hub, c + hub), fill=255)

    return _stamp(ICE, _smooth_mask((size, size), paint))


@cache
def _column_outline() -> Image.Image:
    x0, y0, x1, y1 = outline_box(0)
    w, h = x1 - x0, y1 - y0

    def paint(d: ImageDraw.ImageDraw, s: int) -> None:
        d.rounded_rectangle((0, 0, w * s - 1, h * s - 1), 6 * s, outline=255, width=2 * s)

    return _stamp(ICE, _smooth_mask((w, h), paint))


def _put(image: Image.Image, stamp: Image.Image, at: tuple[int, int]) -> None:
    image.paste(stamp, at, stamp)


# --- the palette: every colour the card uses, so the PNG is small and exact ------------

BLEND_SPACING = 8
"""Antialiasing shades between two colours that touch on the card: one every this many
units of RGB distance, and none this close to one of the card's own colours, so a pixel
of that colour keeps it exactly when the card is mapped onto the palette."""
KEY_COLOURS: tuple[RGB, ...] = (BACKGROUND, BORDER, TEXT, MUTED, EMPTY, FILLED, QUALIFY, ICE)
TOUCHING: tuple[tuple[RGB, RGB], ...] = (
    (TEXT, BACKGROUND),
    (MUTED, BACKGROUND),
    (FILLED, BACKGROUND),
    (EMPTY, BACKGROUND),
    (QUALIFY, BACKGROUND),
    (ICE, BACKGROUND),
    (BORDER, BACKGROUND),
    (ICE, EMPTY),
)
ALPHA_STEPS = 16
"""Shades of transparency at the card's rounded outer corners."""


@dataclass(frozen=True)
class _Palette:
    opaque: Image.Image
    """A "P" image whose palette holds only the opaque colours, to map the card onto."""
    colours: list[int]
    """The full palette, flat RGB: the opaque colours, then the border's alpha shades."""
    alphas: bytes
    """Alpha of each palette entry (the PNG's tRNS chunk)."""
    corners: tuple[tuple[Image.Image, tuple[int, int]], ...]
    """The card's four rounded corners as "P" patches, with where they go."""


def _blend(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(b[0] + (a[0] - b[0]) * t),
        round(b[1] + (a[1] - b[1]) * t),
        round(b[2] + (a[2] - b[2]) * t),
    )


def _distance(a: RGB, b: RGB) -> float:
    return math.dist(a, b)


@cache
def _palette() -> _Palette:
    opaque: list[RGB] = list(KEY_COLOURS)
    for a, b in TOUCHING:
        steps = max(2, round(_distance(a, b) / BLEND_SPACING))
        for step in range(1, steps):
            colour = _blend(a, b, step / steps)
            if all(_distance(colour, c) >= BLEND_SPACING for c in opaque):
                opaque.append(colour)
    shades = [round(255 * k / ALPHA_STEPS) for k in range(ALPHA_STEPS)]  # 0 .. 239
    if len(opaque) + len(shades) > 256:
        raise AssertionError("the card's palette has more than 256 colours")
    padding = 256 - len(opaque)
    flat_opaque = [c for colour in opaque + [BACKGROUND] * padding for c in colour]
    mapper = Image.new("P", (1, 1))
    mapper.putpalette(flat_opaque)
    first_shade = len(opaque)
    entries = opaque + [BORDER] * len(shades)
    entries += [BACKGROUND] * (256 - len(entries))
    alphas = bytes([255] * first_shade + shades + [255] * (256 - first_shade - len(shades)))

    # Corners: opaque pixels map like the rest of the card; the others take the
    # nearest alpha shade (the border's colour, fading out).
    base = _base_rgba()
    corners = []
    size = RADIUS + BORDER_WIDTH
    for x, y in ((0, 0), (WIDTH - size, 0), (0, HEIGHT - size), (WIDTH - size, HEIGHT - size)):
        region = base.crop((x, y, x + size, y + size))
        patch = region.convert("RGB").quantize(palette=mapper, dither=Image.Dither.NONE)
        for py in range(size):
            for px in range(size):
                alpha = region.getpixel((px, py))[3]  # type: ignore[index]
                if alpha < 255:
                    shade = min(range(len(shades)), key=lambda k: abs(shades[k] - alpha))
                    patch.putpixel((px, py), first_shade + shade)
        corners.append((patch, (x, y)))
    keys = Image.new("RGB", (len(KEY_COLOURS), 1))
    keys.putdata(KEY_COLOURS)
    mapped = keys.quantize(palette=mapper, dither=Image.Dither.NONE).convert("RGB")
    if mapped.tobytes() != keys.tobytes():
        raise AssertionError("the card's own colours do not map onto themselves")
    colours = [c for colour in entries for c in colour]
    return _Palette(mapper, colours, alphas, tuple(corners))


# --- what every card shares -----------------------------------------------------------


@cache
def _base_rgba() -> Image.Image:
    """The card, the empty grid, day labels, header, stat labels and legend."""
    image = Image.new("RGBA", CARD_SIZE, (0, 0, 0, 0))
    image.alpha_composite(_stamp(BORDER, _rounded_mask(WIDTH, HEIGHT, RADIUS)))
    inner = _rounded_mask(WIDTH - 2 * BORDER_WIDTH, HEIGHT - 2 * BORDER_WIDTH, RADIUS - 2)
    image.alpha_composite(_stamp(BACKGROUND, inner), (BORDER_WIDTH, BORDER_WIDTH))
    draw = ImageDraw.Draw(image)
    draw.text((WIDTH - PAD, 44), HEADER_RIGHT, fill=MUTED, font=_font(16), anchor="rs")
    empty = _cell_tile(EMPTY)
    for column in range(CARD_WEEKS):
        for row in range(7):
            image.paste(empty, cell_box(column, row)[:2])
    for row, label in DAY_LABELS.items():
        _, y = cell_centre(0, row)
        draw.text((PAD, y), label, fill=MUTED, font=_font(DAY_SIZE), anchor="lm")
    for n, label in enumerate(STAT_LABELS):
        x = PAD + n * TILE_WIDTH
        draw.text((x, LABEL_TOP), label, fill=MUTED, font=_font(STAT_LABEL_SIZE), anchor="la")
    _legend(image, draw)
    return image


@cache
def _base() -> Image.Image:
    return _base_rgba().convert("RGB")


def _legend(image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    font = _font(LEGEND_SIZE)
    x = LEGEND_LEFT
    for n, label in enumerate(LEGEND):
        y = GRID_TOP + n * LEGEND_PITCH
        if n == 0:
            image.paste(_cell_tile(FILLED), (x, y))
        elif n == 1:
            image.paste(_cell_tile(EMPTY), (x, y))
        elif n == 2:
            _put(image, _triangle(), (x + (CELL - MARKER) // 2, y + 3))
        else:
            draw.rounded_rectangle((x - 1, y - 1, x + CELL, y + CELL), 4, outline=ICE, width=2)
            _put(image, _snowflake(MARKER), (x + 3, y + 3))
        draw.text((x + CELL + 8, y + CELL // 2), label, fill=TEXT, font=font, anchor="lm")


# --- the name -----------------------------------------------------------------------


def _glyph_mask(char: str) -> bytes:
    probe = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(probe).text((8, 8), char, fill=255, font=_font(16, bold=True))
    return probe.tobytes()


@lru_cache(maxsize=8192)
def _drawable(char: str) -> bool:
    """The name font has a glyph for `char` (it does not draw its "missing" box)."""
    if unicodedata.category(char).startswith("C"):
        return False  # control, format, surrogate, private use, unassigned
    if unicodedata.bidirectional(char) in RTL_CLASSES:
        return False
    if "VARIATION SELECTOR" in unicodedata.name(char, ""):
        return False  # asks for an emoji (or text) style of the character before it
    return _glyph_mask(char) != _glyph_mask(NOTDEF_PROBE)


def shown_name(name: str) -> str:
    """The name as the card draws it: characters the font lacks dropped, spaces tidied."""
    with _render_lock:
        return _shown_name(name)


def _shown_name(name: str) -> str:
    kept = "".join(
        " " if c.isspace() else c for c in unicodedata.normalize("NFC", name) if _drawable(c)
    )
    return " ".join(kept.split())


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`text`, cut with an ellipsis to fit in `width` pixels."""
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its ellipsis
        mid = (low + high + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


# --- the card ---------------------------------------------------------------------------


def render_card(data: CardData) -> bytes:
    """The card as PNG bytes, `CARD_SIZE`. Thread-safe: renders one at a time."""
    with _render_lock:
        palette = _palette()
        drawn = _draw(data)
        card = drawn.quantize(palette=palette.opaque, dither=Image.Dither.NONE)
        card.putpalette(palette.colours)
        for patch, at in palette.corners:
            card.paste(patch, at)
        _let_others_run()
        out = io.BytesIO()
        card.save(out, "PNG", transparency=palette.alphas, compress_level=COMPRESS_LEVEL)
        return out.getvalue()


def _let_others_run() -> None:
    """Hand the GIL (and the core) over for a moment. A render is a few milliseconds of
    work that mostly holds the GIL; between its steps the event loop and the database
    thread get their turn at once, instead of waiting out the interpreter's 5 ms switch
    interval. `os.sched_yield` releases the GIL and costs a microsecond when nobody waits
    (`time.sleep(0)` would sleep for the timer slack, some 50 us)."""
    _yield()


def _draw(data: CardData) -> Image.Image:
    """The card in RGB (its corners are set afterwards, in the palette)."""
    image = _base().copy()
    _header(image, data)
    _let_others_run()
    _stats(image, data)
    _months(image, data)
    _let_others_run()
    filled = _cell_tile(FILLED)
    for n, day in enumerate(sorted(data.days)):
        box = day_cell(data, day)
        if box is not None:
            image.paste(filled, box[:2])
        if n % 64 == 63:
            _let_others_run()
    _let_others_run()
    outline, flake, triangle = _column_outline(), _snowflake(MARKER), _triangle()
    for column, monday in enumerate(week_columns(data)):
        if monday in data.frozen_weeks:
            _put(image, outline, outline_box(column)[:2])
            _put(image, flake, marker_box(column)[:2])
        elif monday in data.qualifying_weeks:
            _put(image, triangle, marker_box(column)[:2])
    _let_others_run()
    return image


@lru_cache(maxsize=512)
def _label_mask(text: str, size: int, bold: bool, anchor: str) -> tuple[Image.Image, int, int]:
    """A short label drawn once: its mask and its offset from the anchor point."""
    font = _font(size, bold)
    box = font.getbbox(text, anchor=anchor)
    left, top = math.floor(box[0]), math.floor(box[1])
    mask = Image.new("L", (max(1, math.ceil(box[2]) - left), max(1, math.ceil(box[3]) - top)))
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=anchor)
    return mask, left, top


def _label(
    image: Image.Image,
    at: tuple[float, float],
    text: str,
    colour: RGB,
    size: int,
    *,
    bold: bool = False,
    anchor: str = "ls",
) -> None:
    mask, left, top = _label_mask(text, size, bold, anchor)
    x, y = round(at[0]) + left, round(at[1]) + top
    image.paste(colour, (x, y, x + mask.width, y + mask.height), mask)


def _name_font() -> ImageFont.FreeTypeFont:
    return _font(28, bold=True)


def name_right() -> int:
    """Where the name must end: clear of the header's right-hand text."""
    with _render_lock:
        return _name_right()


def _name_right() -> int:
    return int(WIDTH - PAD - _font(16).getlength(HEADER_RIGHT) - NAME_GAP)


def drawn_name(data: CardData) -> str:
    """The name as the card's header draws it: what the font can draw, clipped to fit."""
    with _render_lock:
        return _drawn_name(data)


def _drawn_name(data: CardData) -> str:
    name = _shown_name(data.name) or UNNAMED
    return _fit(name, _name_font(), _name_right() - PAD)


def _header(image: Image.Image, data: CardData) -> None:
    draw = ImageDraw.Draw(image)
    draw.text((PAD, 44), _drawn_name(data), fill=TEXT, font=_name_font(), anchor="ls")


def _stats(image: Image.Image, data: CardData) -> None:
    value_font, unit_font = _font(34, bold=True), _font(18)
    tiles = [
        (str(data.current), "week" if data.current == 1 else "weeks"),
        (str(data.best), "week" if data.best == 1 else "weeks"),
        (f"{data.this_week}/{data.target}", "day" if data.target == 1 else "days"),
        (str(data.freezes), f"of {MAX_FREEZES}"),
    ]
    for n, (value, unit) in enumerate(tiles):
        x = PAD + n * TILE_WIDTH
        _label(image, (x, VALUE_BASELINE), value, TEXT, 34, bold=True)
        ux = x + value_font.getlength(value) + 6
        _label(image, (ux, VALUE_BASELINE), unit, TEXT, 18)
        if n == 3:
            fx = round(ux + unit_font.getlength(unit) + 8)
            _put(image, _snowflake(20), (fx, VALUE_BASELINE - 20))


def _months(image: Image.Image, data: CardData) -> None:
    """A month's name over the first column whose week holds its 1st (and over the
    first column, when that leaves room)."""
    font = _font(MONTH_SIZE)
    labels: list[tuple[int, str]] = []
    for column, monday in enumerate(week_columns(data)):
        sunday = monday + timedelta(days=6)
        if monday.day == 1 or sunday.month != monday.month:
            labels.append((column, f"{sunday:%b}"))
    if not labels or labels[0][0] > 0:
        labels.insert(0, (0, f"{data.first_week:%b}"))
    placed = [
        (GRID_LEFT + column * PITCH, GRID_LEFT + column * PITCH + font.getlength(text), text)
        for column, text in labels
    ]
    last_right = -math.inf
    for n, (left, right, text) in enumerate(placed):
        # The leading label gives way to the next month's if they would touch.
        if n == 0 and len(placed) > 1 and right + MONTH_GAP > placed[1][0]:
            continue
        if left >= last_right + MONTH_GAP:
            _label(image, (left, MONTH_BASELINE), text, MUTED, MONTH_SIZE)
            last_right = right


# --- where cards render ------------------------------------------------------------------


def _lower_priority() -> None:
    """A worker's first act: yield the CPU to the bot's own process when both want it."""
    with contextlib.suppress(OSError):
        os.nice(10)


def render_pool() -> ProcessPoolExecutor:
    """One worker process for cards, started now and warmed up (Pillow and the fonts
    imported), so the first `/streak` does not wait for it. `spawn`, not `fork`: the bot's
    process has threads (the database's), which a fork would copy mid-flight."""
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_lower_priority,
    )
    pool.submit(_warm_up)
    return pool


def _warm_up() -> None:
    _base()  # loads the fonts and draws the fixed parts once


# --- the cache ------------------------------------------------------------------------

CacheKey = tuple[int, int]
"""(guild id, user id)."""


class CardCache:
    """The last card rendered for each member, reused while its fingerprint holds.

    Bounded by entries and bytes (least recently used out first). Used from the event
    loop only; rendering runs in a worker thread (`asyncio.to_thread`).
    """

    def __init__(
        self,
        max_entries: int = 2048,
        max_bytes: int = 32 * 1024 * 1024,
        *,
        render: Callable[[CardData], bytes] = render_card,
        timeout: float = RENDER_TIMEOUT,
        executor: Executor | None = None,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.render = render
        self.timeout = timeout
        self.executor = executor
        """Where cards render: None for a worker thread (`asyncio.to_thread`); a process
        pool keeps renders off the bot's GIL entirely (see benchmarks/cards.py)."""
        self.renders = 0
        self.hits = 0
        self._entries: OrderedDict[CacheKey, tuple[bytes, bytes]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: CacheKey, data: CardData) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != fingerprint(data):
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: CacheKey, data: CardData, png: bytes) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._entries[key] = (fingerprint(data), png)
        self._bytes += len(png)
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _, (_, evicted) = self._entries.popitem(last=False)
            self._bytes -= len(evicted)

    async def png(self, key: CacheKey, data: CardData) -> bytes:
        """The member's card: the cached bytes if nothing drawn changed, else a fresh
        render off the event loop."""
        cached = self.get(key, data)
        if cached is not None:
            self.hits += 1
            return cached
        if self.executor is None:
            png = await asyncio.to_thread(self.render, data)
        else:
            loop = asyncio.get_running_loop()
            png = await loop.run_in_executor(self.executor, self.render, data)
        self.renders += 1
        self.put(key, data, png)
        return png

    async def attachment(
        self, key: CacheKey, name: str, stats: StreakStats, days: Iterable[date]
    ) -> Attachment | None:
        """The card as `streak.png` with its alt text, or None (logged) if it cannot be
        had in time: the reply then goes out with its text alone, which says it all."""
        try:
            data = card_data(name, stats, days)
            png = await asyncio.wait_for(self.png(key, data), self.timeout)
        except Exception:
            log.exception("could not draw the streak card for member %s in guild %s", *key[::-1])
            return None
        return Attachment(CARD_FILENAME, png, card_description(data))
