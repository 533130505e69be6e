-- /coach recap, /coach insights and the daily retention job. Instants are unix seconds
-- (UTC); days are ISO 'YYYY-MM-DD'.

-- The weekly recap a server posts in a channel of its choice: every Monday at the
-- server's nudge_time (else 09:00) in its zone, about the week before. `last_week` is
-- the Monday of the last week handled and is written *before* the recap is sent, so a
-- week is never posted twice; a 'sending' status with a recent `last_at` is a claim cut
-- short by a crash, resent under the same nonce (Discord drops a duplicate).
CREATE TABLE server_recaps (
    guild_id    INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    last_week   TEXT,
    last_status TEXT CHECK (last_status IN
                    ('sending', 'channel', 'failed', 'skipped', 'uncertain')),
    last_at     INTEGER
) STRICT;

CREATE TRIGGER server_recaps_schedule_insert AFTER INSERT ON server_recaps BEGIN
    INSERT OR REPLACE INTO schedule (kind, key, due_at) VALUES ('recap', NEW.guild_id, NEW.due_at);
END;
CREATE TRIGGER server_recaps_schedule_update AFTER UPDATE OF due_at ON server_recaps BEGIN
    UPDATE schedule SET due_at = NEW.due_at WHERE kind = 'recap' AND key = NEW.guild_id;
END;
CREATE TRIGGER server_recaps_schedule_delete AFTER DELETE ON server_recaps BEGIN
    DELETE FROM schedule WHERE kind = 'recap' AND key = OLD.guild_id;
END;

-- /ask questions that found no good match, for /coach insights: the question as typed
-- (trimmed, whitespace collapsed, lower-cased) and how often it was asked that day (UTC)
-- in that server (0: a DM or a server without the bot). No user id, by design: nothing
-- here says who asked.
CREATE TABLE ask_misses (
    guild_id INTEGER NOT NULL,
    day      TEXT    NOT NULL,
    question TEXT    NOT NULL,
    count    INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (guild_id, day, question)
) STRICT, WITHOUT ROWID;

-- Knowledge entries opened (/cue, /why-back-pain, the top /ask answer) per server and
-- day (UTC), counted. No user id either.
CREATE TABLE entry_opens (
    guild_id INTEGER NOT NULL,
    day      TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('exercise', 'situation', 'posture')),
    entry_id TEXT    NOT NULL,
    count    INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (guild_id, day, kind, entry_id)
) STRICT, WITHOUT ROWID;

-- The daily retention job: one row (key 0), due at once after this migration.
CREATE TABLE retention (
    key         INTEGER PRIMARY KEY CHECK (key = 0),
    due_at      INTEGER NOT NULL,
    last_run_at INTEGER,
    last_pruned INTEGER
) STRICT;

CREATE TRIGGER retention_schedule_insert AFTER INSERT ON retention BEGIN
    INSERT OR REPLACE INTO schedule (kind, key, due_at) VALUES ('retention', NEW.key, NEW.due_at);
END;
CREATE TRIGGER retention_schedule_update AFTER UPDATE OF due_at ON retention BEGIN
    UPDATE schedule SET due_at = NEW.due_at WHERE kind = 'retention' AND key = NEW.key;
END;
CREATE TRIGGER retention_schedule_delete AFTER DELETE ON retention BEGIN
    DELETE FROM schedule WHERE kind = 'retention' AND key = OLD.key;
END;

INSERT INTO retention (key, due_at) VALUES (0, 0);

-- Retention finds old rows by age, never by scanning: delivery history by when it was
-- attempted, the insights counters by day.
CREATE INDEX nudge_deliveries_attempted ON nudge_deliveries (attempted_at);
CREATE INDEX backday_reminder_deliveries_attempted ON backday_reminder_deliveries (attempted_at);
CREATE INDEX ask_misses_day ON ask_misses (day);
CREATE INDEX entry_opens_day ON entry_opens (day);

-- /coach insights and the recap read one server's rows: its members' posture reminders,
-- and its back-day logs of a range of days (covering: no table lookups).
CREATE INDEX reminders_guild ON reminders (guild_id);
CREATE INDEX backday_logs_guild_day ON backday_logs (guild_id, day, user_id);
