-- Daily posture nudges. Instants are unix seconds (UTC); local days are ISO
-- `YYYY-MM-DD` in the member's zone. The member's zone is member_settings.timezone,
-- which /posture on sets (and the weekly streak follows).

-- One row per member who opted in. `slot_at` is their next regular nudge, `snooze_at`
-- a snoozed one; `due_at` = MIN(slot_at, snooze_at) is what the dispatcher waits for,
-- through `reminders_due`, so finding due rows never scans the table.
CREATE TABLE reminders (
    user_id       INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,   -- where they opted in: its nudge channel is the fallback
    local_time    TEXT    NOT NULL,   -- 'HH:MM'
    days          TEXT    NOT NULL CHECK (days IN ('every day', 'weekdays')),
    slot_at       INTEGER NOT NULL,
    snooze_at     INTEGER,
    snooze_topic  TEXT,
    due_at        INTEGER NOT NULL,
    dm_channel_id INTEGER,            -- stored so a nudge costs one request, not two
    dm_refused_at INTEGER,            -- Discord answered 50007: no DMs until /posture on
    opted_in_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX reminders_due ON reminders (due_at);

-- One row per member and local day a nudge was claimed for: the record that makes
-- "at most one nudge a day" hold across crashes. A 'sending' row is a claim whose
-- outcome was never recorded; it is resent with the same nonce (Discord drops the
-- duplicate) while Discord still remembers the nonce, and given up on after that.
CREATE TABLE nudge_deliveries (
    user_id      INTEGER NOT NULL,
    local_day    TEXT    NOT NULL,
    topic_id     TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN
                     ('sending', 'dm', 'channel', 'refused', 'skipped', 'failed', 'uncertain')),
    attempted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, local_day)
) STRICT, WITHOUT ROWID;

-- Posture topics each audience (a member's user id, or a server's id for its channel
-- nudge; Discord ids never collide) has seen in the current rotation cycle.
CREATE TABLE topics_seen (
    audience_id INTEGER NOT NULL,
    topic_id    TEXT    NOT NULL,
    PRIMARY KEY (audience_id, topic_id)
) STRICT, WITHOUT ROWID;

-- The server-wide daily nudge, for servers with nudge_channel_id and nudge_time set.
CREATE TABLE server_nudges (
    guild_id     INTEGER PRIMARY KEY,
    due_at       INTEGER NOT NULL,
    last_day     TEXT,                -- the local day of the last slot handled
    last_status  TEXT
) STRICT;

CREATE INDEX server_nudges_due ON server_nudges (due_at);

-- A member's rows across servers: their timezone changing recomputes their streak in
-- each server, and /privacy export and delete find everything stored about them.
CREATE INDEX member_stats_user ON member_stats (user_id);
CREATE INDEX backday_logs_user ON backday_logs (user_id);
