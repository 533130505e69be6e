-- Server and member settings, back-day logs and the per-member streak cache that the
-- leaderboard reads. Dates are ISO `YYYY-MM-DD` in the member's own timezone;
-- instants are ISO UTC `YYYY-MM-DDTHH:MM:SS+00:00`.

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    timezone              TEXT    NOT NULL DEFAULT 'UTC',
    weekly_target         INTEGER NOT NULL DEFAULT 1 CHECK (weekly_target BETWEEN 1 AND 7),
    nudge_channel_id      INTEGER,
    nudge_time            TEXT,
    default_reminder_time TEXT    NOT NULL DEFAULT '09:00'
) STRICT;

CREATE TABLE member_settings (
    user_id  INTEGER PRIMARY KEY,
    timezone TEXT
) STRICT;

CREATE TABLE backday_logs (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    day       TEXT    NOT NULL,
    note      TEXT,
    logged_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, day)
) STRICT, WITHOUT ROWID;

-- Recomputed from backday_logs on every change for that member. `expires_at` is the
-- instant the current streak lapses unless extended: the swept rows are found through
-- the partial index, never by scanning all members.
CREATE TABLE member_stats (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    current_streak INTEGER NOT NULL DEFAULT 0,
    best_streak    INTEGER NOT NULL DEFAULT 0,
    total_days     INTEGER NOT NULL DEFAULT 0,
    expires_at     TEXT,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX member_stats_rank
    ON member_stats (guild_id, current_streak DESC, best_streak DESC, total_days DESC, user_id);

CREATE INDEX member_stats_expiry
    ON member_stats (expires_at) WHERE expires_at IS NOT NULL;
