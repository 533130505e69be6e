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

-- Rank order. user_id breaks ties only so pages have a stable order (keyset paging).
CREATE INDEX member_stats_rank ON member_stats
    (guild_id, current_streak DESC, best_streak DESC, total_days DESC, user_id DESC);

-- How many members share each standing: a member's rank is one plus the members with a
-- better standing, summed here over distinct standings (a few thousand at most) rather
-- than counted over every member. Kept exact by the triggers below (which avoid
-- INSERT OR IGNORE: an outer UPSERT's conflict handling would override it).
CREATE TABLE standing_counts (
    guild_id       INTEGER NOT NULL,
    current_streak INTEGER NOT NULL,
    best_streak    INTEGER NOT NULL,
    total_days     INTEGER NOT NULL,
    members        INTEGER NOT NULL CHECK (members >= 0),
    PRIMARY KEY (guild_id, current_streak, best_streak, total_days)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER standing_counts_insert AFTER INSERT ON member_stats BEGIN
    INSERT INTO standing_counts
        SELECT new.guild_id, new.current_streak, new.best_streak, new.total_days, 0
        WHERE NOT EXISTS (SELECT 1 FROM standing_counts
            WHERE guild_id = new.guild_id AND current_streak = new.current_streak
              AND best_streak = new.best_streak AND total_days = new.total_days);
    UPDATE standing_counts SET members = members + 1
        WHERE guild_id = new.guild_id AND current_streak = new.current_streak
          AND best_streak = new.best_streak AND total_days = new.total_days;
END;

CREATE TRIGGER standing_counts_delete AFTER DELETE ON member_stats BEGIN
    UPDATE standing_counts SET members = members - 1
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days;
    DELETE FROM standing_counts
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days AND members = 0;
END;

CREATE TRIGGER standing_counts_update
AFTER UPDATE OF current_streak, best_streak, total_days ON member_stats
WHEN (old.current_streak, old.best_streak, old.total_days)
     IS NOT (new.current_streak, new.best_streak, new.total_days)
BEGIN
    UPDATE standing_counts SET members = members - 1
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days;
    DELETE FROM standing_counts
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days AND members = 0;
    INSERT INTO standing_counts
        SELECT new.guild_id, new.current_streak, new.best_streak, new.total_days, 0
        WHERE NOT EXISTS (SELECT 1 FROM standing_counts
            WHERE guild_id = new.guild_id AND current_streak = new.current_streak
              AND best_streak = new.best_streak AND total_days = new.total_days);
    UPDATE standing_counts SET members = members + 1
        WHERE guild_id = new.guild_id AND current_streak = new.current_streak
          AND best_streak = new.best_streak AND total_days = new.total_days;
END;

CREATE INDEX member_stats_expiry
    ON member_stats (expires_at) WHERE expires_at IS NOT NULL;
