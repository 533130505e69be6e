-- Timed deliveries and what they record: posture nudges, server channel nudges, the
-- schedule they share, /backday reminders, weekly recaps, the /coach insights counters
-- and the daily retention job. The final state of SQLite's migrations 0003-0006 for
-- these tables, with the same column names and value meanings (a copy tool moves SQLite
-- rows here verbatim). Instants are unix seconds (UTC); days are ISO 'YYYY-MM-DD'.

-- --- posture nudges ------------------------------------------------------------------------

-- One row per member who opted in. `slot_at` is their next regular nudge, `snooze_at`
-- a snoozed one; `due_at` = LEAST(slot_at, snooze_at) is what the dispatcher waits for,
-- through the schedule (below), which triggers keep in step with it.
CREATE TABLE reminders (
    user_id       BIGINT  PRIMARY KEY,
    guild_id      BIGINT  NOT NULL,   -- where they opted in: its nudge channel is the fallback
    local_time    TEXT    NOT NULL,   -- 'HH:MM'
    days          TEXT    NOT NULL CHECK (days IN ('every day', 'weekdays')),
    slot_at       BIGINT  NOT NULL,
    snooze_at     BIGINT,
    snooze_topic  TEXT,
    due_at        BIGINT  NOT NULL,
    dm_channel_id BIGINT,             -- stored so a nudge costs one request, not two
    dm_refused_at BIGINT,             -- Discord answered 50007: no DMs until /posture on
    opted_in_at   BIGINT  NOT NULL
);

-- /coach insights and the recap read one server's members' reminders.
CREATE INDEX reminders_guild ON reminders (guild_id);

-- One row per member and local day a nudge was claimed for: the record that makes
-- "at most one nudge a day" hold across crashes. A 'sending' row is a claim whose
-- outcome was never recorded; it is resent with the same nonce (Discord drops the
-- duplicate) while Discord still remembers the nonce, and given up on after that.
CREATE TABLE nudge_deliveries (
    user_id      BIGINT NOT NULL,
    local_day    TEXT   NOT NULL,
    topic_id     TEXT   NOT NULL,
    nonce        TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN
                     ('sending', 'dm', 'channel', 'refused', 'skipped', 'failed', 'uncertain')),
    attempted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, local_day)
);

-- Posture topics each audience (a member's user id, or a server's id for its channel
-- nudge; Discord ids never collide) has seen in the current rotation cycle.
CREATE TABLE topics_seen (
    audience_id BIGINT NOT NULL,
    topic_id    TEXT   NOT NULL,
    PRIMARY KEY (audience_id, topic_id)
);

-- The server-wide daily nudge, for servers with nudge_channel_id and nudge_time set.
CREATE TABLE server_nudges (
    guild_id     BIGINT PRIMARY KEY,
    due_at       BIGINT NOT NULL,
    last_day     TEXT,                -- the local day of the last slot handled
    last_status  TEXT
);

-- --- /backday reminder ---------------------------------------------------------------------

-- One per member, on a local weekday (Friday, Saturday or Sunday) and time, sent only
-- when a streak of theirs is at risk this week.
CREATE TABLE backday_reminders (
    user_id       BIGINT  PRIMARY KEY,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 4 AND 6),  -- Friday=4 .. Sunday=6
    local_time    TEXT    NOT NULL,   -- 'HH:MM' in the member's zone
    due_at        BIGINT  NOT NULL,
    dm_channel_id BIGINT,
    dm_refused_at BIGINT,             -- Discord answered 50007: no DMs until set again
    set_at        BIGINT  NOT NULL
);

-- One row per member and week a reminder was claimed for: at most one a week, across
-- crashes (a 'sending' row is resent with the same nonce while Discord remembers it).
CREATE TABLE backday_reminder_deliveries (
    user_id      BIGINT NOT NULL,
    week         TEXT   NOT NULL,     -- the Monday, 'YYYY-MM-DD', in the member's zone
    nonce        TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN
                     ('sending', 'dm', 'refused', 'skipped', 'failed', 'uncertain', 'safe')),
    attempted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, week)
);

-- --- /coach recap, insights and retention --------------------------------------------------

-- The weekly recap a server posts in a channel of its choice: every Monday at the
-- server's nudge_time (else 09:00) in its zone, about the week before. `last_week` is
-- the Monday of the last week handled and is written *before* the recap is sent, so a
-- week is never posted twice; a 'sending' status with a recent `last_at` is a claim cut
-- short by a crash, resent under the same nonce (Discord drops a duplicate).
CREATE TABLE server_recaps (
    guild_id    BIGINT PRIMARY KEY,
    channel_id  BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    last_week   TEXT,
    last_status TEXT CHECK (last_status IN
                    ('sending', 'channel', 'failed', 'skipped', 'uncertain')),
    last_at     BIGINT
);

-- /ask questions that found no good match, for /coach insights: the question as typed
-- (trimmed, whitespace collapsed, lower-cased) and how often it was asked that day (UTC)
-- in that server (0: a DM or a server without the bot). No user id, by design: nothing
-- here says who asked.
CREATE TABLE ask_misses (
    guild_id BIGINT  NOT NULL,
    day      TEXT    NOT NULL,
    question TEXT    NOT NULL,
    count    INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (guild_id, day, question)
);

-- Knowledge entries opened (/cue, /why-back-pain, the top /ask answer) per server and
-- day (UTC), counted. No user id either.
CREATE TABLE entry_opens (
    guild_id BIGINT  NOT NULL,
    day      TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('exercise', 'situation', 'posture')),
    entry_id TEXT    NOT NULL,
    count    INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (guild_id, day, kind, entry_id)
);

-- The daily retention job: one row (key 0), inserted below, due at once.
CREATE TABLE retention (
    key         BIGINT PRIMARY KEY CHECK (key = 0),
    due_at      BIGINT NOT NULL,
    last_run_at BIGINT,
    last_pruned BIGINT
);

-- Retention finds old rows by age, never by scanning: delivery history by when it was
-- attempted, the insights counters by day.
CREATE INDEX nudge_deliveries_attempted ON nudge_deliveries (attempted_at);
CREATE INDEX backday_reminder_deliveries_attempted ON backday_reminder_deliveries (attempted_at);
CREATE INDEX ask_misses_day ON ask_misses (day);
CREATE INDEX entry_opens_day ON entry_opens (day);

-- --- the schedule ----------------------------------------------------------------------------

-- One schedule for every timed delivery: a row per (kind, key) holding the next due
-- instant. Each kind keeps its own state in its own table; triggers copy that table's
-- `due_at` here, so the schedule can never disagree with it (and deleting a member's
-- reminder removes its schedule row too).
--
-- Several bot processes share it, so a process takes due rows with a lease: it holds
-- them until `leased_until`, and the others skip them meanwhile. A lease ends when the
-- row's due instant changes (the triggers clear it: the job ran, or pushed the row
-- back), and on its own when its time is up, so a dead process's rows are taken over.
CREATE TABLE schedule (
    kind         TEXT   NOT NULL,
    key          BIGINT NOT NULL,     -- a user id or a guild id, depending on the kind
    due_at       BIGINT NOT NULL,     -- unix seconds (UTC)
    leased_until BIGINT,              -- held by a process until then; NULL: free
    PRIMARY KEY (kind, key)
);

-- lease(): due rows, soonest first (a walk from the start of the index, in due order).
CREATE INDEX schedule_due ON schedule (due_at, kind, key);
-- next_due_at(): the soonest free row of each kind, one index probe per kind.
CREATE INDEX schedule_free ON schedule (kind, due_at) WHERE leased_until IS NULL;
-- next_due_at(): leased rows, few (in flight, or orphaned by a process that died).
CREATE INDEX schedule_leased ON schedule (leased_until) WHERE leased_until IS NOT NULL;

-- A kind's row is due at `due`, and free: a changed due instant ends any lease on it.
CREATE FUNCTION schedule_put(job_kind TEXT, job_key BIGINT, due BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO schedule (kind, key, due_at, leased_until) VALUES (job_kind, job_key, due, NULL)
    ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, leased_until = NULL;
$$;

-- The trigger functions of the kinds' tables, by the column holding the schedule key;
-- the kind is the trigger's argument. Inserted rows and changed due instants are put,
-- deleted rows take their schedule row with them.
CREATE FUNCTION schedule_follow_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM schedule WHERE kind = TG_ARGV[0] AND key = OLD.user_id;
    ELSE
        PERFORM schedule_put(TG_ARGV[0], NEW.user_id, NEW.due_at);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION schedule_follow_guild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM schedule WHERE kind = TG_ARGV[0] AND key = OLD.guild_id;
    ELSE
        PERFORM schedule_put(TG_ARGV[0], NEW.guild_id, NEW.due_at);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION schedule_follow_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM schedule WHERE kind = TG_ARGV[0] AND key = OLD.key;
    ELSE
        PERFORM schedule_put(TG_ARGV[0], NEW.key, NEW.due_at);
    END IF;
    RETURN NULL;
END;
$$;

-- An upsert that keeps a row's due instant fires no schedule trigger, so a lease on it
-- lasts; one that moves it fires the UPDATE trigger.
CREATE TRIGGER reminders_schedule AFTER INSERT OR DELETE ON reminders
    FOR EACH ROW EXECUTE FUNCTION schedule_follow_user('posture');
CREATE TRIGGER reminders_schedule_update AFTER UPDATE OF due_at ON reminders
    FOR EACH ROW WHEN (old.due_at IS DISTINCT FROM new.due_at)
    EXECUTE FUNCTION schedule_follow_user('posture');

CREATE TRIGGER server_nudges_schedule AFTER INSERT OR DELETE ON server_nudges
    FOR EACH ROW EXECUTE FUNCTION schedule_follow_guild('channel');
CREATE TRIGGER server_nudges_schedule_update AFTER UPDATE OF due_at ON server_nudges
    FOR EACH ROW WHEN (old.due_at IS DISTINCT FROM new.due_at)
    EXECUTE FUNCTION schedule_follow_guild('channel');

CREATE TRIGGER backday_reminders_schedule AFTER INSERT OR DELETE ON backday_reminders
    FOR EACH ROW EXECUTE FUNCTION schedule_follow_user('backday');
CREATE TRIGGER backday_reminders_schedule_update AFTER UPDATE OF due_at ON backday_reminders
    FOR EACH ROW WHEN (old.due_at IS DISTINCT FROM new.due_at)
    EXECUTE FUNCTION schedule_follow_user('backday');

CREATE TRIGGER server_recaps_schedule AFTER INSERT OR DELETE ON server_recaps
    FOR EACH ROW EXECUTE FUNCTION schedule_follow_guild('recap');
CREATE TRIGGER server_recaps_schedule_update AFTER UPDATE OF due_at ON server_recaps
    FOR EACH ROW WHEN (old.due_at IS DISTINCT FROM new.due_at)
    EXECUTE FUNCTION schedule_follow_guild('recap');

CREATE TRIGGER retention_schedule AFTER INSERT OR DELETE ON retention
    FOR EACH ROW EXECUTE FUNCTION schedule_follow_key('retention');
CREATE TRIGGER retention_schedule_update AFTER UPDATE OF due_at ON retention
    FOR EACH ROW WHEN (old.due_at IS DISTINCT FROM new.due_at)
    EXECUTE FUNCTION schedule_follow_key('retention');

INSERT INTO retention (key, due_at) VALUES (0, 0);
