-- One schedule for every timed delivery (posture nudges, server channel nudges, streak
-- reminders, weekly recaps): a row per (kind, key) holding the next due instant, and one
-- index over it, so the one dispatcher finds the soonest work in a single index search.
-- Each kind keeps its own state in its own table; triggers copy that table's `due_at`
-- here, so the schedule can never disagree with it (and deleting a member's reminder
-- removes its schedule row too).
CREATE TABLE schedule (
    kind    TEXT    NOT NULL,
    key     INTEGER NOT NULL,    -- a user id or a guild id, depending on the kind
    due_at  INTEGER NOT NULL,    -- unix seconds (UTC)
    PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX schedule_due ON schedule (due_at, kind, key);       -- what is due, soonest first
CREATE INDEX schedule_kind_due ON schedule (kind, due_at);       -- the soonest of one kind

INSERT INTO schedule (kind, key, due_at) SELECT 'posture', user_id, due_at FROM reminders;
INSERT INTO schedule (kind, key, due_at) SELECT 'channel', guild_id, due_at FROM server_nudges;

CREATE TRIGGER reminders_schedule_insert AFTER INSERT ON reminders BEGIN
    INSERT OR REPLACE INTO schedule (kind, key, due_at) VALUES ('posture', NEW.user_id, NEW.due_at);
END;
CREATE TRIGGER reminders_schedule_update AFTER UPDATE OF due_at ON reminders BEGIN
    UPDATE schedule SET due_at = NEW.due_at WHERE kind = 'posture' AND key = NEW.user_id;
END;
CREATE TRIGGER reminders_schedule_delete AFTER DELETE ON reminders BEGIN
    DELETE FROM schedule WHERE kind = 'posture' AND key = OLD.user_id;
END;

CREATE TRIGGER server_nudges_schedule_insert AFTER INSERT ON server_nudges BEGIN
    INSERT OR REPLACE INTO schedule (kind, key, due_at) VALUES ('channel', NEW.guild_id, NEW.due_at);
END;
CREATE TRIGGER server_nudges_schedule_update AFTER UPDATE OF due_at ON server_nudges BEGIN
    UPDATE schedule SET due_at = NEW.due_at WHERE kind = 'channel' AND key = NEW.guild_id;
END;
CREATE TRIGGER server_nudges_schedule_delete AFTER DELETE ON server_nudges BEGIN
    DELETE FROM schedule WHERE kind = 'channel' AND key = OLD.guild_id;
END;

-- The schedule index replaces the per-table due indexes.
DROP INDEX reminders_due;
DROP INDEX server_nudges_due;

-- /backday reminder: one per member, on a local weekday (Friday, Saturday or Sunday) and
-- time, sent only when a streak of theirs is at risk this week.
CREATE TABLE backday_reminders (
    user_id       INTEGER PRIMARY KEY,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 4 AND 6),  -- Friday=4 .. Sunday=6
    local_time    TEXT    NOT NULL,    -- 'HH:MM' in the member's zone
    due_at        INTEGER NOT NULL,
    dm_channel_id INTEGER,
    dm_refused_at INTEGER,             -- Discord answered 50007: no DMs until set again
    set_at        INTEGER NOT NULL
) STRICT;

-- One row per member and week a reminder was claimed for: at most one a week, across
-- crashes (a 'sending' row is resent with the same nonce while Discord remembers it).
CREATE TABLE backday_reminder_deliveries (
    user_id      INTEGER NOT NULL,
    week         TEXT    NOT NULL,     -- the Monday, 'YYYY-MM-DD', in the member's zone
    nonce        TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN
                     ('sending', 'dm', 'refused', 'skipped', 'failed', 'uncertain', 'safe')),
    attempted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, week)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER backday_reminders_schedule_insert AFTER INSERT ON backday_reminders BEGIN
    INSERT OR REPLACE INTO schedule (kind, key, due_at) VALUES ('backday', NEW.user_id, NEW.due_at);
END;
CREATE TRIGGER backday_reminders_schedule_update AFTER UPDATE OF due_at ON backday_reminders BEGIN
    UPDATE schedule SET due_at = NEW.due_at WHERE kind = 'backday' AND key = NEW.user_id;
END;
CREATE TRIGGER backday_reminders_schedule_delete AFTER DELETE ON backday_reminders BEGIN
    DELETE FROM schedule WHERE kind = 'backday' AND key = OLD.user_id;
END;
