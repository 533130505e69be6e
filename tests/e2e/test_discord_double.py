"""The double's own checks, proven without the bot: a raw aiohttp client (and, where the
bot's library matters, discord.py's own HTTP client) breaks Discord's rules on purpose.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord.http import HTTPClient, Route, handle_message_parameters

from discord_double import (
    EPHEMERAL,
    DiscordDouble,
    IdentifyRecord,
    InteractionHandle,
    Snowflakes,
    check_identify_spacing,
    shard_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

Json = dict[str, Any]
ECHO = {
    "name": "echo",
    "description": "Say something back.",
    "type": 1,
    "options": [
        {
            "type": 3,
            "name": "text",
            "description": "What to say",
            "required": True,
            "autocomplete": True,
            "max_length": 100,
        }
    ],
}


class RawGateway:
    """A bare gateway client: zlib-stream frames, HELLO, heartbeats, IDENTIFY, RESUME."""

    def __init__(self, session: aiohttp.ClientSession, double: DiscordDouble) -> None:
        self.session = session
        self.double = double
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.inflater = zlib.decompressobj()
        self.session_id: str | None = None
        self.seq: int | None = None

    async def connect(self, url: str | None = None) -> Json:
        self.inflater = zlib.decompressobj()
        base = url or self.double.gateway_url
        self.ws = await self.session.ws_connect(f"{base}?v=10&encoding=json&compress=zlib-stream")
        hello = await self.receive()
        assert hello["op"] == 10
        return hello

    async def receive(self, wait: float = 5.0) -> Json:
        assert self.ws is not None
        msg = await self.ws.receive(timeout=wait)
        if msg.type is aiohttp.WSMsgType.BINARY:
            assert msg.data.endswith(b"\x00\x00\xff\xff"), "not a zlib-stream flush"
            frame: Json = json.loads(self.inflater.decompress(msg.data))
        elif msg.type is aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
        else:
            return {"closed": self.ws.close_code, "type": msg.type}
        if frame.get("s") is not None:
            self.seq = frame["s"]
        return frame

    async def send(self, op: int, d: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps({"op": op, "d": d}))

    async def dispatch(self, event: str, wait: float = 5.0) -> Json:
        while True:
            frame = await self.receive(wait)
            assert "closed" not in frame, frame
            if frame.get("t") == event:
                return frame

    async def send_identify(
        self, intents: int = 1, token: str | None = None, shard: Any = None
    ) -> None:
        data: Json = {
            "token": token or self.double.token,
            "intents": intents,
            "properties": {"os": "linux", "browser": "e2e", "device": "e2e"},
        }
        if shard is not None:
            data["shard"] = shard
        await self.send(2, data)

    async def identify(
        self, intents: int = 1, token: str | None = None, shard: list[int] | None = None
    ) -> Json:
        await self.send_identify(intents, token, shard)
        ready = await self.dispatch("READY")
        self.session_id = ready["d"]["session_id"]
        return ready


@pytest_asyncio.fixture(loop_scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def auth(double: DiscordDouble) -> dict[str, str]:
    return {"Authorization": f"Bot {double.token}"}


async def register(double: DiscordDouble, http: aiohttp.ClientSession, body: Any) -> Any:
    url = f"{double.api_base_url}/applications/{double.application_id}/commands"
    async with http.put(url, json=body, headers=auth(double)) as resp:
        return resp.status, await resp.json()


@pytest_asyncio.fixture(loop_scope="module")
async def gateway(double: DiscordDouble, http: aiohttp.ClientSession) -> RawGateway:
    """A raw client, identified, with /echo registered."""
    status, _ = await register(double, http, [ECHO])
    assert status == 200
    client = RawGateway(http, double)
    await client.connect()
    await client.identify()
    return client


async def callback(
    double: DiscordDouble, http: aiohttp.ClientSession, handle: InteractionHandle, body: Json
) -> tuple[int, Any]:
    url = f"{double.api_base_url}/interactions/{handle.id}/{handle.token}/callback"
    async with http.post(url, json=body, params={"with_response": "1"}) as resp:
        data = await resp.json() if resp.status != 204 else None
        return resp.status, data


def kinds(double: DiscordDouble) -> list[str]:
    return [v.kind for v in double.violations]


# --- gateway ---


async def test_gateway_handshake(double: DiscordDouble, http: aiohttp.ClientSession) -> None:
    client = RawGateway(http, double)
    hello = await client.connect()
    assert hello["d"]["heartbeat_interval"] == 41250
    await client.send(1, None)
    assert (await client.receive())["op"] == 11
    ready = await client.identify()
    d = ready["d"]
    assert ready["s"] == 1
    assert d["user"]["id"] == str(double.application_id) and d["user"]["bot"] is True
    assert d["guilds"] == [{"id": str(double.guild.id), "unavailable": True}]
    assert d["application"]["id"] == str(double.application_id)
    assert d["resume_gateway_url"].startswith("ws://127.0.0.1:")
    guild = await client.dispatch("GUILD_CREATE")
    assert guild["s"] == 2
    roles = {r["name"]: r for r in guild["d"]["roles"]}
    assert roles["@everyone"]["id"] == str(double.guild.id)
    assert [c["name"] for c in guild["d"]["channels"]] == ["general", "posture-nudges"]
    assert double.ready_count == 1


@pytest.mark.parametrize(
    ("intents", "code"),
    [(1 | 1 << 15, 4014), (1 | 1 << 1, 4014), (1 | 1 << 8, 4014), (1 << 40, 4013)],
)
async def test_identify_refuses_privileged_and_invalid_intents(
    double: DiscordDouble, http: aiohttp.ClientSession, intents: int, code: int
) -> None:
    client = RawGateway(http, double)
    await client.connect()
    await client.send(2, {"token": double.token, "intents": intents, "properties": {}})
    assert (await client.receive())["closed"] == code
    assert double.ready_count == 0


async def test_identify_with_a_wrong_token_closes_4004(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    client = RawGateway(http, double)
    await client.connect()
    await client.send(2, {"token": "nope", "intents": 1, "properties": {}})
    assert (await client.receive())["closed"] == 4004


async def test_resume_replays_missed_events(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    await gateway.dispatch("GUILD_CREATE")
    seq = gateway.seq
    since = await double.force_disconnect()
    assert (await gateway.receive())["closed"] == 4000
    assert gateway.ws is not None
    await gateway.ws.close()
    missed = await double.slash("echo", {"text": "while you were away"})

    await gateway.connect(f"ws://127.0.0.1:{double.port}/gateway/resume")
    await gateway.send(6, {"token": double.token, "session_id": gateway.session_id, "seq": seq})
    replayed = await gateway.dispatch("INTERACTION_CREATE")
    assert replayed["s"] == seq + 1  # type: ignore[operator]
    assert replayed["d"]["id"] == str(missed.id)
    resumed = await gateway.dispatch("RESUMED")
    assert resumed["s"] == seq + 2  # type: ignore[operator]
    resume = await double.wait_resumed(since, timeout=5)
    assert resume["seq"] == seq
    assert missed.state.dispatched_at is not None


async def test_resume_of_an_unknown_session_is_invalidated(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    client = RawGateway(http, double)
    await client.connect()
    await client.send(6, {"token": double.token, "session_id": "nope", "seq": 3})
    assert await client.receive() == {"op": 9, "d": False, "s": None, "t": None}


# --- shards ---


@pytest.mark.double(recommended_shards=3, max_concurrency=2)
async def test_gateway_bot_reports_shards_and_session_start_limit(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{double.api_base_url}/gateway/bot", headers=auth(double)) as resp:
        body = await resp.json()
    assert body["url"] == double.gateway_url
    assert body["shards"] == 3
    limit = body["session_start_limit"]
    assert limit["max_concurrency"] == 2
    assert limit["total"] == 1000 and limit["remaining"] == 1000 and limit["reset_after"] > 0


async def test_guild_ids_made_for_a_shard_belong_to_it() -> None:
    snowflake = Snowflakes()
    for count in (1, 2, 3, 16):
        for shard in range(count):
            guild_id = snowflake.on_shard(shard, count)
            assert shard_of(guild_id, count) == shard
            assert guild_id <= snowflake(), "an id from the future"
    with pytest.raises(ValueError, match="shard"):
        snowflake.on_shard(2, 2)


@pytest.mark.double(guild_count=4, guild_shards=2, max_concurrency=2)
async def test_each_shard_gets_its_guilds_and_their_events(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    status, _ = await register(double, http, [ECHO])
    assert status == 200
    shards = [RawGateway(http, double), RawGateway(http, double)]
    for shard_id, client in enumerate(shards):
        await client.connect()
        ready = await client.identify(shard=[shard_id, 2])
        assert ready["d"]["shard"] == [shard_id, 2]
        owned = {str(g.id) for g in double.guilds if shard_of(g.id, 2) == shard_id}
        assert len(owned) == 2
        assert {g["id"] for g in ready["d"]["guilds"]} == owned
        created = {(await client.dispatch("GUILD_CREATE"))["d"]["id"] for _ in owned}
        assert created == owned
    assert double.ready_shards == [0, 1]
    assert [(i.shard_id, i.shard_count, i.bucket) for i in double.identifies] == [
        (0, 2, 0),
        (1, 2, 1),
    ]

    for shard_id, client in enumerate(shards):
        guild = double.guild_on_shard(shard_id, 2)
        handle = await double.slash("echo", {"text": "hi"}, guild=guild.id)
        event = await client.dispatch("INTERACTION_CREATE")
        assert event["d"]["id"] == str(handle.id)
        assert event["d"]["guild_id"] == str(guild.id)
    handle = await double.slash("echo", {"text": "in a DM"}, dm=True)
    assert (await shards[0].dispatch("INTERACTION_CREATE"))["d"]["id"] == str(handle.id)
    assert not double.violations


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], [0], "0,1", [0, 1.0]])
async def test_identify_with_an_invalid_shard_closes_4010(
    double: DiscordDouble, http: aiohttp.ClientSession, shard: Any
) -> None:
    client = RawGateway(http, double)
    await client.connect()
    await client.send_identify(shard=shard)
    assert (await client.receive())["closed"] == 4010
    assert double.ready_count == 0


@pytest.mark.double(guild_shards=2, guild_count=2, max_concurrency=1)
async def test_two_identifies_of_one_bucket_within_5s_are_refused(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    first, second = RawGateway(http, double), RawGateway(http, double)
    await first.connect()
    await first.identify(shard=[0, 2])
    await second.connect()
    await second.send_identify(shard=[1, 2])  # bucket 1 % 1 == 0, at once

    assert await second.receive() == {"op": 9, "d": False, "s": None, "t": None}
    assert kinds(double) == ["identify_rate"]
    assert "same bucket 0" in double.violations[0].message
    assert [i.bucket for i in double.identifies] == [0, 0]
    assert double.ready_shards == [0]


async def test_identify_spacing_is_per_bucket_and_five_seconds() -> None:
    def at(when: float, shard: int, bucket: int) -> IdentifyRecord:
        return IdentifyRecord(at=when, shard_id=shard, shard_count=4, bucket=bucket)

    earlier = [at(100.0, 0, 0), at(100.0, 1, 1)]
    assert check_identify_spacing([], at(0.0, 0, 0)) is None
    assert check_identify_spacing(earlier, at(105.0, 2, 0)) is None
    assert check_identify_spacing(earlier, at(101.0, 3, 1)) is not None
    assert check_identify_spacing(earlier[:1], at(101.0, 3, 1)) is None
    problem = check_identify_spacing(earlier, at(104.9, 2, 0))
    assert problem is not None and "4.900s after shard 0" in problem


# --- interaction callbacks: 40060 and 10062 ---


async def test_second_callback_is_already_acknowledged(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    handle = await double.slash("echo", {"text": "hi"})
    event = await gateway.dispatch("INTERACTION_CREATE")
    assert event["d"]["token"] == handle.token
    assert event["d"]["data"]["options"] == [{"type": 3, "name": "text", "value": "hi"}]
    body = {"type": 4, "data": {"content": "hi", "allowed_mentions": {"parse": []}}}

    status, first = await callback(double, http, handle, body)
    assert status == 200
    assert first["interaction"]["id"] == str(handle.id)
    assert first["resource"]["message"]["content"] == "hi"
    status, second = await callback(double, http, handle, body)

    assert status == 400
    assert second == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert kinds(double) == ["already_acknowledged"]
    reply = await handle.response(timeout=1)
    assert [r.status for r in reply.callback_attempts] == [200, 400]


async def test_late_callback_is_an_unknown_interaction(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    double.ack_deadline = 0.2
    handle = await double.slash("echo", {"text": "slow"})
    await gateway.dispatch("INTERACTION_CREATE")
    await asyncio.sleep(0.25)

    status, body = await callback(double, http, handle, {"type": 5})

    assert status == 404
    assert body == {"message": "Unknown interaction", "code": 10062}
    url = f"{double.api_base_url}/webhooks/{double.application_id}/{handle.token}"
    async with http.post(url, json={"content": "too late"}) as resp:
        assert resp.status == 404
        assert (await resp.json())["code"] == 10015
    assert kinds(double) == ["late_callback", "webhook_before_acknowledgement"]


async def test_callback_type_must_fit_the_interaction(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    handle = await double.slash("echo", {"text": "x"})
    status, body = await callback(double, http, handle, {"type": 8, "data": {"choices": []}})
    assert status == 400
    assert body["code"] == 50035
    assert kinds(double) == ["invalid_callback_type"]


# --- message and autocomplete limits ---


def embed(**kw: Any) -> Json:
    return {"title": "t", **kw}


FIELD = {"name": "n", "value": "v"}
OVER_LIMIT = {
    "content": ({"content": "x" * 2001}, ["data", "content"]),
    "eleven embeds": ({"embeds": [embed()] * 11}, ["data", "embeds"]),
    "title": ({"embeds": [embed(title="x" * 257)]}, ["data", "embeds", "0", "title"]),
    "description": (
        {"embeds": [embed(description="x" * 4097)]},
        ["data", "embeds", "0", "description"],
    ),
    "26 fields": ({"embeds": [embed(fields=[FIELD] * 26)]}, ["data", "embeds", "0", "fields"]),
    "field name": (
        {"embeds": [embed(fields=[{"name": "x" * 257, "value": "v"}])]},
        ["data", "embeds", "0", "fields", "0", "name"],
    ),
    "field value": (
        {"embeds": [embed(fields=[{"name": "n", "value": "x" * 1025}])]},
        ["data", "embeds", "0", "fields", "0", "value"],
    ),
    "empty field value": (
        {"embeds": [embed(fields=[{"name": "n", "value": ""}])]},
        ["data", "embeds", "0", "fields", "0", "value"],
    ),
    "footer": (
        {"embeds": [embed(footer={"text": "x" * 2049})]},
        ["data", "embeds", "0", "footer", "text"],
    ),
    "author": (
        {"embeds": [embed(author={"name": "x" * 257})]},
        ["data", "embeds", "0", "author", "name"],
    ),
    "6000 in total": (
        {"embeds": [embed(title="", description="x" * 3001)] * 2},
        ["data", "embeds"],
    ),
    "allowed mentions": (
        {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
        ["data", "allowed_mentions", "parse"],
    ),
}


@pytest.mark.parametrize("case", list(OVER_LIMIT))
async def test_messages_over_discords_limits_are_refused(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway, case: str
) -> None:
    data, path = OVER_LIMIT[case]
    handle = await double.slash("echo", {"text": "x"})
    status, body = await callback(double, http, handle, {"type": 4, "data": data})
    assert status == 400
    assert body["code"] == 50035
    node = body["errors"]
    for part in path:
        node = node[part]
    assert node["_errors"], body
    assert kinds(double) == ["invalid_form_body"]
    assert handle.state.acknowledged_at is None  # a refused answer does not acknowledge


async def test_messages_at_the_limits_are_accepted(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    fields = [{"name": "n" * 10, "value": "v" * 90}] * 25  # 2,500
    data = {
        "content": "x" * 2000,
        "embeds": [
            {"title": "t" * 256, "description": "d" * 244, "fields": fields},  # 3,000
            {"description": "d" * 2952, "footer": {"text": "f" * 48}},  # 3,000
        ],
        "flags": EPHEMERAL,
    }
    handle = await double.slash("echo", {"text": "x"})
    status, _ = await callback(double, http, handle, {"type": 4, "data": data})
    assert status == 200
    assert not double.violations


async def test_empty_message_is_refused(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    handle = await double.slash("echo", {"text": "x"})
    status, body = await callback(double, http, handle, {"type": 4, "data": {"content": " "}})
    assert (status, body["code"]) == (400, 50006)


@pytest.mark.parametrize(
    ("choices", "ok"),
    [
        ([{"name": f"c{n}", "value": f"v{n}"} for n in range(25)], True),
        ([], True),
        ([{"name": f"c{n}", "value": f"v{n}"} for n in range(26)], False),
        ([{"name": "x" * 101, "value": "v"}], False),
        ([{"name": "", "value": "v"}], False),
        ([{"name": "c", "value": "x" * 101}], False),
        ([{"name": "c", "value": 3}], False),
    ],
)
async def test_autocomplete_choices_are_checked(
    double: DiscordDouble,
    http: aiohttp.ClientSession,
    gateway: RawGateway,
    choices: list[Json],
    ok: bool,
) -> None:
    handle = await double.autocomplete_interaction("echo", "text", "c")
    event = await gateway.dispatch("INTERACTION_CREATE")
    assert event["d"]["type"] == 4
    assert event["d"]["data"]["options"] == [
        {"type": 3, "name": "text", "value": "c", "focused": True}
    ]
    status, _ = await callback(double, http, handle, {"type": 8, "data": {"choices": choices}})
    assert (status == 200) is ok
    assert bool(double.violations) is not ok


# --- followups, @original and multipart ---


async def test_followups_edits_and_attachments(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    handle = await double.slash("echo", {"text": "x"})
    status, deferred = await callback(double, http, handle, {"type": 5, "data": {"flags": 64}})
    assert status == 200
    assert deferred["interaction"]["response_message_loading"] is True
    hook = f"{double.api_base_url}/webhooks/{double.application_id}/{handle.token}"

    form = aiohttp.FormData(quote_fields=False)
    payload = {
        "content": "see file",
        "attachments": [{"id": 0, "filename": "errors.txt"}],
        "allowed_mentions": {"parse": []},
        "flags": 64,
    }
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field("files[0]", b"a.yaml:1: bad\n", filename="errors.txt")
    async with http.post(hook, data=form, params={"wait": "1"}) as resp:
        assert resp.status == 200
        message = await resp.json()
    assert message["attachments"][0]["filename"] == "errors.txt"
    (record,) = double.requests_to("POST", r"^/webhooks/")
    assert record.json == payload
    assert (record.files[0]["name"], record.files[0]["size"]) == ("files[0]", 14)

    async with http.patch(f"{hook}/messages/@original", json={"content": "edited"}) as resp:
        assert resp.status == 200
        assert (await resp.json())["content"] == "edited"
    async with http.get(f"{hook}/messages/@original") as resp:
        assert (await resp.json())["content"] == "edited"
    async with http.patch(f"{hook}/messages/@original", json={"content": "x" * 2001}) as resp:
        assert resp.status == 400
    reply = await handle.response(timeout=2)
    assert [r.method for r in reply.requests] == ["POST", "POST", "PATCH", "GET", "PATCH"]
    assert kinds(double) == ["invalid_form_body"]


# --- message components and clicks ---


def button(custom_id: str, **kw: Any) -> Json:
    return {"type": 2, "style": 2, "label": "Go", "custom_id": custom_id, **kw}


def row(*buttons: Json) -> Json:
    return {"type": 1, "components": list(buttons)}


BAD_COMPONENTS = {
    "6 action rows": [row(button(f"b{n}")) for n in range(6)],
    "6 buttons in a row": [row(*(button(f"b{n}") for n in range(6)))],
    "empty row": [row()],
    "button outside a row": [button("b")],
    "custom_id of 101": [row(button("x" * 101))],
    "duplicate custom_id": [row(button("same")), row(button("same"))],
    "label of 81": [row(button("b", label="x" * 81))],
    "no custom_id": [row({"type": 2, "style": 1, "label": "Go"})],
    "link with custom_id": [row(button("b", style=5, url="https://example.com"))],
    "no label or emoji": [row({"type": 2, "style": 2, "custom_id": "b"})],
    "select beside a button": [
        row(button("b"), {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]})
    ],
}


@pytest.mark.parametrize("case", list(BAD_COMPONENTS))
async def test_components_over_discords_rules_are_refused(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway, case: str
) -> None:
    handle = await double.slash("echo", {"text": "x"})
    data = {"content": "page", "components": BAD_COMPONENTS[case]}
    status, body = await callback(double, http, handle, {"type": 4, "data": data})
    assert (status, body["code"]) == (400, 50035), body
    assert "components" in body["errors"]["data"]
    assert kinds(double) == ["invalid_form_body"]


async def test_components_at_the_limits_are_accepted(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    rows = [
        row(*(button(f"{r}-{n}".ljust(100, "x"), label="y" * 80) for n in range(5)))
        for r in range(5)
    ]
    handle = await double.slash("echo", {"text": "x"})
    status, body = await callback(
        double, http, handle, {"type": 4, "data": {"content": "page", "components": rows}}
    )
    assert status == 200, body
    stored = body["resource"]["message"]["components"]
    ids = [c["id"] for r in stored for c in [r, *r["components"]]]
    assert sorted(ids) == list(range(1, 31)), "Discord numbers every component"
    assert not double.violations


async def paged_message(
    double: DiscordDouble, http: aiohttp.ClientSession, *, flags: int = 0
) -> Json:
    """/echo answered with a message carrying page buttons; returns the stored message."""
    handle = await double.slash("echo", {"text": "x"})
    data = {
        "content": "page 1",
        "components": [row(button("page:0", disabled=True), button("page:2"))],
        "flags": flags,
    }
    status, _ = await callback(double, http, handle, {"type": 4, "data": data})
    assert status == 200
    reply = await handle.response(timeout=2)
    return reply.created_message


async def test_click_sends_a_component_interaction_and_update_edits_in_place(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    message = await paged_message(double, http)
    assert message["interaction_metadata"]["name"] == "echo"
    clicker = double.make_user("clicker")
    handle = await double.click(message, "page:2", user=clicker)
    event = (await gateway.dispatch("INTERACTION_CREATE"))["d"]
    while event["id"] != str(handle.id):
        event = (await gateway.dispatch("INTERACTION_CREATE"))["d"]
    assert event["type"] == 3
    assert event["data"] == {"custom_id": "page:2", "component_type": 2, "id": 3}
    assert event["message"] == message
    assert event["member"]["user"] == clicker
    assert event["channel_id"] == message["channel_id"]

    update = {"content": "page 2", "components": [row(button("page:1"), button("page:3"))]}
    status, body = await callback(double, http, handle, {"type": 7, "data": update})
    assert status == 200
    assert body["resource"]["message"]["id"] == message["id"]
    reply = await handle.response(timeout=2)
    assert reply.type == 7
    assert not reply.created, "an update creates no message"
    stored = double.message(message)
    assert (stored["id"], stored["content"]) == (message["id"], "page 2")
    assert stored["edited_timestamp"] is not None
    assert [c["custom_id"] for c in stored["components"][0]["components"]] == ["page:1", "page:3"]
    with pytest.raises(LookupError, match="no component 'page:2'"):
        await double.click(message, "page:2")  # the message no longer carries it
    assert not double.violations


async def test_click_refuses_what_discords_client_would_not_send(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    message = await paged_message(double, http)
    with pytest.raises(PermissionError, match="disabled"):
        await double.click(message, "page:0")
    with pytest.raises(LookupError, match="never created message"):
        await double.click(12345, "page:2")
    private = await paged_message(double, http, flags=EPHEMERAL)
    with pytest.raises(PermissionError, match="ephemeral"):
        await double.click(private, "page:2", user=double.make_user("someone-else"))
    await double.click(private, "page:2")  # its recipient can


async def test_an_update_over_discords_rules_is_refused(
    double: DiscordDouble, http: aiohttp.ClientSession, gateway: RawGateway
) -> None:
    message = await paged_message(double, http)
    handle = await double.click(message, "page:2")
    bad = {"components": [row(button("dup"), button("dup"))]}
    status, body = await callback(double, http, handle, {"type": 7, "data": bad})
    assert (status, body["code"]) == (400, 50035)
    assert double.message(message)["content"] == "page 1"
    slash = await double.slash("echo", {"text": "x"})
    status, _ = await callback(double, http, slash, {"type": 7, "data": {"content": "x"}})
    assert status == 400  # only component interactions update a message
    assert kinds(double) == ["invalid_form_body", "invalid_callback_type"]


# --- option values the way Discord's client sends them ---

PICK = {
    "name": "pick",
    "description": "Options of every kind the double models.",
    "type": 1,
    "options": [
        {"type": 6, "name": "member", "description": "Someone"},
        {"type": 4, "name": "count", "description": "1-7", "min_value": 1, "max_value": 7},
    ],
}


async def test_user_options_carry_resolved_users_and_members(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    assert (await register(double, http, [ECHO, PICK]))[0] == 200
    client = RawGateway(http, double)
    await client.connect()
    await client.identify()
    friend = double.make_user("friend")
    await double.slash("pick", {"member": friend, "count": 7})
    event = (await client.dispatch("INTERACTION_CREATE"))["d"]
    assert event["data"]["options"] == [
        {"type": 6, "name": "member", "value": friend["id"]},
        {"type": 4, "name": "count", "value": 7},
    ]
    resolved = event["data"]["resolved"]
    assert resolved["users"] == {friend["id"]: friend}
    member = resolved["members"][friend["id"]]
    assert "user" not in member and member["permissions"]
    await double.slash("pick", {"member": int(friend["id"])})  # by id works too
    outsider = double.make_user("outsider", member=False)
    await double.slash("pick", {"member": outsider})
    event = (await client.dispatch("INTERACTION_CREATE"))["d"]
    event = (await client.dispatch("INTERACTION_CREATE"))["d"]
    assert "members" not in event["data"]["resolved"]
    for count in (0, 8):
        with pytest.raises(ValueError, match="between 1 and 7"):
            await double.slash("pick", {"count": count})
    with pytest.raises(LookupError, match="no user"):
        await double.slash("pick", {"member": 42})


# --- command registration ---


def command(**changes: Any) -> Json:
    return {**ECHO, **changes}


def option(**changes: Any) -> Json:
    return {"type": 3, "name": "o", "description": "An option", **changes}


BAD_COMMANDS = {
    "uppercase name": [command(name="Echo")],
    "space in name": [command(name="two words")],
    "33 characters": [command(name="x" * 33)],
    "empty description": [command(description="")],
    "101 characters of description": [command(description="x" * 101)],
    "26 options": [command(options=[option(name=f"o{n}") for n in range(26)])],
    "required after optional": [
        command(options=[option(name="a"), option(name="b", required=True)])
    ],
    "26 choices": [
        command(options=[option(choices=[{"name": f"{n}", "value": f"{n}"} for n in range(26)])])
    ],
    "choices and autocomplete": [
        command(options=[option(choices=[{"name": "a", "value": "a"}], autocomplete=True)])
    ],
    "duplicate option": [command(options=[option(), option()])],
    "duplicate command": [command(), command()],
    "subcommand mixed with options": [command(options=[option(), option(type=1, name="sub")])],
    "101 commands": [command(name=f"c{n}") for n in range(101)],
    "bad permissions": [command(default_member_permissions="manage")],
}


@pytest.mark.parametrize("case", list(BAD_COMMANDS))
async def test_registration_checks(
    double: DiscordDouble, http: aiohttp.ClientSession, case: str
) -> None:
    status, body = await register(double, http, BAD_COMMANDS[case])
    assert status == 400
    assert body["code"] == 50035
    assert body["errors"]
    assert double.commands == {}
    assert kinds(double) == ["invalid_command"]


async def test_registration_assigns_stable_ids(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    group = command(
        name="coach",
        default_member_permissions=32,
        options=[{"type": 1, "name": "reload", "description": "Reload.", "options": []}],
    )
    status, first = await register(double, http, [ECHO, group])
    assert status == 200
    status, again = await register(double, http, [ECHO, group])
    assert [c["id"] for c in first] == [c["id"] for c in again]
    assert again[1]["default_member_permissions"] == "32"
    assert not double.violations
    url = f"{double.api_base_url}/applications/{double.application_id}/guilds/1/commands"
    async with http.put(url, json=[ECHO], headers=auth(double)) as resp:
        assert (resp.status, (await resp.json())["code"]) == (403, 50001)


# --- REST basics and rate limits ---


async def test_rest_needs_the_bot_token_and_reports_buckets(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{double.api_base_url}/users/@me") as resp:
        assert resp.status == 401
        assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
    async with http.get(f"{double.api_base_url}/users/@me", headers=auth(double)) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        for header in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
            assert f"X-RateLimit-{header}" in resp.headers
        assert resp.headers["Via"]
    async with http.get(f"{double.api_base_url}/nowhere", headers=auth(double)) as resp:
        assert resp.status == 404
    assert kinds(double) == ["unknown_route"]
    (recorded, *_) = double.requests
    assert "Authorization" not in recorded.headers


@pytest.mark.double(global_rate_limit=3)
async def test_global_rate_limit_answers_429(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    statuses = []
    for _ in range(4):
        async with http.get(f"{double.api_base_url}/users/@me", headers=auth(double)) as resp:
            statuses.append(resp.status)
            body, headers = await resp.json(), resp.headers
    assert statuses == [200, 200, 200, 429]
    assert body["global"] is True
    assert body["message"] == "You are being rate limited."
    assert 0 < body["retry_after"] <= 1
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert int(headers["Retry-After"]) >= 1
    assert headers["Via"]  # discord.py treats a 429 without Via as a Cloudflare ban
    assert len(double.rate_limited(is_global=True)) == 1
    assert not double.violations


@pytest.mark.double(channel_message_limit=2, channel_message_window=5.0)
async def test_channel_message_limit_answers_429(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    url = f"{double.api_base_url}/channels/{double.guild.channel_ids[0]}/messages"
    statuses = []
    for n in range(3):
        async with http.post(url, json={"content": f"{n}"}, headers=auth(double)) as resp:
            statuses.append(resp.status)
            body, headers = await resp.json(), resp.headers
    assert statuses == [200, 200, 429]
    assert body["global"] is False
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Bucket"]
    other = f"{double.api_base_url}/channels/{double.guild.channel_ids[1]}/messages"
    async with http.post(other, json={"content": "x"}, headers=auth(double)) as resp:
        assert resp.status == 200  # the limit is per channel


# --- discord.py's own HTTP client: DMs, 50007 and the channel bucket ---


@pytest_asyncio.fixture(loop_scope="module")
async def discord_http(
    double: DiscordDouble, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[HTTPClient]:
    monkeypatch.setattr(Route, "BASE", double.api_base_url)
    client = HTTPClient(asyncio.get_running_loop())
    await client.static_login(double.token)
    try:
        yield client
    finally:
        await client.close()


def message(content: str) -> Any:
    return handle_message_parameters(
        content=content, allowed_mentions=discord.AllowedMentions.none()
    )


@pytest.mark.double(channel_message_limit=3, channel_message_window=0.5)
async def test_discord_py_waits_for_the_channel_bucket(
    double: DiscordDouble, discord_http: HTTPClient
) -> None:
    dm = await discord_http.start_private_message(int(double.member_user["id"]))
    assert dm["type"] == 1
    start = time.monotonic()
    for n in range(7):
        with message(f"nudge {n}") as params:
            sent = await discord_http.send_message(int(dm["id"]), params=params)
        assert sent["content"] == f"nudge {n}"
    elapsed = time.monotonic() - start
    assert len(double.channel_messages[int(dm["id"])]) == 7
    assert elapsed >= 2 * 0.5 * 0.9, "7 messages at 3 per 0.5 s need two waits"
    assert not double.violations


async def test_dm_to_a_member_with_closed_dms_is_50007(
    double: DiscordDouble, discord_http: HTTPClient
) -> None:
    closed = double.make_user("private-person", dms_closed=True)
    dm = await discord_http.start_private_message(int(closed["id"]))
    with message("stand up straight") as params, pytest.raises(discord.Forbidden) as raised:
        await discord_http.send_message(int(dm["id"]), params=params)
    assert raised.value.code == 50007
    assert raised.value.text == "Cannot send messages to this user"
    assert not double.violations  # a refused DM is the bot's business, not a violation


# --- message nonce and enforce_nonce ---


def nudge(content: str, nonce: str) -> Any:
    """What discord.py sends for `send(..., nonce=...)`: the nonce and enforce_nonce: true."""
    return handle_message_parameters(
        content=content, nonce=nonce, allowed_mentions=discord.AllowedMentions.none()
    )


def advance(double: DiscordDouble, seconds: float) -> None:
    """Move the double's clock forward (rate limit windows and nonce windows with it)."""
    clock = double.clock
    double.clock = lambda: clock() + seconds


async def post_message(
    double: DiscordDouble, http: aiohttp.ClientSession, channel_id: int | str, body: Json
) -> tuple[int, Any]:
    url = f"{double.api_base_url}/channels/{channel_id}/messages"
    async with http.post(url, json=body, headers=auth(double)) as resp:
        return resp.status, await resp.json()


async def test_the_nonce_is_echoed_on_the_created_message(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    channel = double.guild.channel_ids[1]
    status, sent = await post_message(double, http, channel, {"content": "a", "nonce": "n-1"})
    assert status == 200 and sent["nonce"] == "n-1"
    status, sent_int = await post_message(double, http, channel, {"content": "b", "nonce": 42})
    assert status == 200 and sent_int["nonce"] == 42
    assert double.message(sent)["nonce"] == "n-1"
    status, plain = await post_message(double, http, channel, {"content": "c"})
    assert status == 200 and "nonce" not in plain
    assert not double.violations


async def test_enforce_nonce_returns_the_first_message_within_the_window(
    double: DiscordDouble, discord_http: HTTPClient
) -> None:
    member = double.member_user
    dm = await discord_http.start_private_message(int(member["id"]))
    with nudge("sit up straight", "posture-2025-01-06") as params:
        first = await discord_http.send_message(int(dm["id"]), params=params)
    assert first["nonce"] == "posture-2025-01-06"

    advance(double, double.nonce_window - 1)  # a resend after a crash, just inside the window
    with nudge("sit up straight (resent)", "posture-2025-01-06") as params:
        again = await discord_http.send_message(int(dm["id"]), params=params)
    assert again == first  # the first message, not a new one
    assert double.dm_messages_to(member) == [first]
    assert len(double.channel_messages[int(dm["id"])]) == 1
    posts = double.requests_to("POST", r"^/channels/\d+/messages$")
    assert [r.status for r in posts] == [200, 200]
    assert posts[1].json["enforce_nonce"] is True

    advance(double, 2)  # now past the window: the same nonce makes a new message
    with nudge("sit up straight (tomorrow)", "posture-2025-01-06") as params:
        later = await discord_http.send_message(int(dm["id"]), params=params)
    assert later["id"] != first["id"]
    assert [m["id"] for m in double.dm_messages_to(member)] == [first["id"], later["id"]]
    assert not double.violations


@pytest.mark.double(nonce_window=30.0)
async def test_the_nonce_window_is_a_setting(
    double: DiscordDouble, discord_http: HTTPClient
) -> None:
    dm = await discord_http.start_private_message(int(double.member_user["id"]))
    with nudge("one", "window") as params:
        first = await discord_http.send_message(int(dm["id"]), params=params)
    advance(double, 31)
    with nudge("two", "window") as params:
        second = await discord_http.send_message(int(dm["id"]), params=params)
    assert second["id"] != first["id"]
    assert len(double.dm_messages_to(double.member_user)) == 2


async def test_different_nonces_and_unenforced_duplicates_are_separate_messages(
    double: DiscordDouble, http: aiohttp.ClientSession, discord_http: HTTPClient
) -> None:
    member = double.make_user("sloucher")
    dm = await discord_http.start_private_message(int(member["id"]))
    with nudge("monday", "posture-monday") as params:
        monday = await discord_http.send_message(int(dm["id"]), params=params)
    with nudge("tuesday", "posture-tuesday") as params:
        tuesday = await discord_http.send_message(int(dm["id"]), params=params)
    assert monday["id"] != tuesday["id"]
    # Without enforce_nonce Discord creates the duplicate.
    body = {"content": "again", "nonce": "posture-monday"}
    status, duplicate = await post_message(double, http, dm["id"], body)
    assert status == 200 and duplicate["id"] != monday["id"]
    assert duplicate["nonce"] == "posture-monday"
    assert len(double.dm_messages_to(member)) == 3
    assert double.dm_messages_to(double.member_user) == []  # nobody else's DMs
    assert not double.violations


@pytest.mark.parametrize(
    ("nonce", "code"),
    [
        ("x" * 26, "BASE_TYPE_MAX_LENGTH"),
        (1.5, "BASE_TYPE_BAD_TYPE"),
        (True, "BASE_TYPE_BAD_TYPE"),
        (["a"], "BASE_TYPE_BAD_TYPE"),
    ],
)
async def test_a_nonce_discord_does_not_take_is_50035(
    double: DiscordDouble, http: aiohttp.ClientSession, nonce: Any, code: str
) -> None:
    channel = double.guild.channel_ids[0]
    body = {"content": "hi", "nonce": nonce, "enforce_nonce": True}
    status, answer = await post_message(double, http, channel, body)
    assert status == 400
    assert answer["code"] == 50035 and answer["message"] == "Invalid Form Body"
    assert [e["code"] for e in answer["errors"]["nonce"]["_errors"]] == [code]
    assert set(answer["errors"]) == {"nonce"}
    assert kinds(double) == ["invalid_form_body"]
    assert channel not in double.channel_messages  # nothing was created

    status, sent = await post_message(double, http, channel, {**body, "nonce": "x" * 25})
    assert status == 200 and sent["nonce"] == "x" * 25  # 25 characters is the limit


async def test_enforce_nonce_must_be_a_bool(
    double: DiscordDouble, http: aiohttp.ClientSession
) -> None:
    body = {"content": "hi", "nonce": "n", "enforce_nonce": "yes"}
    status, answer = await post_message(double, http, double.guild.channel_ids[0], body)
    assert status == 400 and answer["code"] == 50035
    assert answer["errors"] == {
        "enforce_nonce": {"_errors": [{"code": "BASE_TYPE_BOOLEAN", "message": "Must be a bool."}]}
    }


async def test_a_nonce_does_not_get_past_closed_dms(
    double: DiscordDouble, discord_http: HTTPClient
) -> None:
    closed = double.make_user("private-nudgee", dms_closed=True)
    dm = await discord_http.start_private_message(int(closed["id"]))
    for _ in range(2):
        with nudge("stand up", "posture-closed") as params, pytest.raises(discord.Forbidden) as e:
            await discord_http.send_message(int(dm["id"]), params=params)
        assert e.value.code == 50007
    assert double.dm_messages_to(closed) == []
    assert not double.violations
