-- Server and member settings, back-day logs, the per-member streak cache and the three
-- leaderboards (streak, month, all-time): the final state of SQLite's migrations 0002,
-- 0003 (its member_stats/backday_logs indexes), 0004 and 0006 (backday_logs_guild_day),
-- written fresh for PostgreSQL. Tables and columns are SQLite's, name for name, so a
-- SQLite database copies in verbatim; the reasoning behind the design is in the SQLite
-- files and only summarised here.
--
-- Dates are ISO `YYYY-MM-DD` text in the member's own timezone, months `YYYY-MM`,
-- instants ISO UTC `YYYY-MM-DDTHH:MM:SS+00:00` text, as on SQLite. Those columns are
-- COLLATE "C": they are compared and ordered as text (day ranges, the latest day,
-- expiries), which must be byte order as in SQLite, not a locale's order (which may
-- ignore punctuation). Flags stay 0/1 integers, as on SQLite.

CREATE TABLE guild_settings (
    guild_id              BIGINT  PRIMARY KEY,
    timezone              TEXT    NOT NULL DEFAULT 'UTC',
    weekly_target         INTEGER NOT NULL DEFAULT 1 CHECK (weekly_target BETWEEN 1 AND 7),
    nudge_channel_id      BIGINT,
    nudge_time            TEXT,
    default_reminder_time TEXT    NOT NULL DEFAULT '09:00'
);

-- `leaderboard_hidden` is the one place a member's choice to hide from every board is
-- stored; triggers below copy it onto their ranked rows (`hidden`).
CREATE TABLE member_settings (
    user_id            BIGINT  PRIMARY KEY,
    timezone           TEXT,
    leaderboard_hidden INTEGER NOT NULL DEFAULT 0 CHECK (leaderboard_hidden IN (0, 1))
);

CREATE TABLE backday_logs (
    guild_id  BIGINT NOT NULL,
    user_id   BIGINT NOT NULL,
    day       TEXT   COLLATE "C" NOT NULL,
    note      TEXT,
    logged_at TEXT   COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, user_id, day)
);

-- A member's rows across servers (timezone change, /privacy export and delete).
CREATE INDEX backday_logs_user ON backday_logs (user_id);
-- One server's logs over a range of days (recap, insights), covering: index-only.
CREATE INDEX backday_logs_guild_day ON backday_logs (guild_id, day, user_id);

-- --- streak board and all-time board: member_stats -----------------------------------------

-- Recomputed from backday_logs on every change for that member. `expires_at` is the
-- instant the current streak lapses unless extended (found through the partial index).
-- `hidden` copies member_settings.leaderboard_hidden: it follows guild_id in the rank
-- indexes, so a board is read at `hidden = 0` and hidden members are never walked.
CREATE TABLE member_stats (
    guild_id       BIGINT  NOT NULL,
    user_id        BIGINT  NOT NULL,
    current_streak INTEGER NOT NULL DEFAULT 0,
    best_streak    INTEGER NOT NULL DEFAULT 0,
    total_days     INTEGER NOT NULL DEFAULT 0,
    expires_at     TEXT    COLLATE "C",
    hidden         INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    PRIMARY KEY (guild_id, user_id)
);

-- Rank order. user_id breaks ties only so pages have a stable order (keyset paging).
CREATE INDEX member_stats_rank ON member_stats
    (guild_id, hidden, current_streak DESC, best_streak DESC, total_days DESC, user_id DESC);

-- All-time order: total back days, then best streak, then user id.
CREATE INDEX member_stats_all_time ON member_stats
    (guild_id, hidden, total_days DESC, best_streak DESC, user_id DESC);

CREATE INDEX member_stats_expiry ON member_stats (expires_at) WHERE expires_at IS NOT NULL;

CREATE INDEX member_stats_user ON member_stats (user_id);

-- How many shown members share each standing: a rank is one plus the members with a
-- better standing, summed over distinct standings rather than counted over members.
-- Kept exact by the triggers below.
CREATE TABLE standing_counts (
    guild_id       BIGINT  NOT NULL,
    current_streak INTEGER NOT NULL,
    best_streak    INTEGER NOT NULL,
    total_days     INTEGER NOT NULL,
    members        BIGINT  NOT NULL CHECK (members >= 0),
    PRIMARY KEY (guild_id, current_streak, best_streak, total_days)
) WITH (fillfactor = 70);
-- Nearly every log moves a member between two standings, so these rows are updated all
-- the time: `members` is in no index and pages keep free room (fillfactor), so those
-- updates are HOT (no index writes, dead versions pruned in place).

-- The all-time ranks sum standing_counts by (total_days, best_streak). Unlike SQLite's,
-- this index does not cover `members`: that would make every count update a non-HOT one,
-- and a table updated this often seldom has the all-visible pages an index-only scan needs.
CREATE INDEX standing_counts_all_time ON standing_counts (guild_id, total_days, best_streak);

-- One function keeps the histogram: a row leaving a standing (delete, the old side of
-- an update) takes one member off it, dropping the standing at zero; a row entering one
-- adds a member. Hidden rows are in no standing.
CREATE FUNCTION standing_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.hidden = 0 THEN
        DELETE FROM standing_counts
            WHERE guild_id = OLD.guild_id AND current_streak = OLD.current_streak
              AND best_streak = OLD.best_streak AND total_days = OLD.total_days
              AND members = 1;
        IF NOT FOUND THEN
            UPDATE standing_counts SET members = members - 1
                WHERE guild_id = OLD.guild_id AND current_streak = OLD.current_streak
                  AND best_streak = OLD.best_streak AND total_days = OLD.total_days;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.hidden = 0 THEN
        INSERT INTO standing_counts AS c VALUES
            (NEW.guild_id, NEW.current_streak, NEW.best_streak, NEW.total_days, 1)
            ON CONFLICT (guild_id, current_streak, best_streak, total_days)
            DO UPDATE SET members = c.members + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER standing_counts_insert AFTER INSERT ON member_stats
    FOR EACH ROW WHEN (NEW.hidden = 0) EXECUTE FUNCTION standing_counts_follow();

CREATE TRIGGER standing_counts_delete AFTER DELETE ON member_stats
    FOR EACH ROW WHEN (OLD.hidden = 0) EXECUTE FUNCTION standing_counts_follow();

CREATE TRIGGER standing_counts_update
    AFTER UPDATE OF current_streak, best_streak, total_days, hidden ON member_stats
    FOR EACH ROW
    WHEN ((OLD.current_streak, OLD.best_streak, OLD.total_days, OLD.hidden)
          IS DISTINCT FROM (NEW.current_streak, NEW.best_streak, NEW.total_days, NEW.hidden))
    EXECUTE FUNCTION standing_counts_follow();

-- A new member_stats row takes the member's hidden choice as it is inserted (save_stats
-- reads it from member_settings), never by a later update, so every AFTER INSERT trigger
-- sees the row as it stays.

-- --- month board: monthly_days -------------------------------------------------------------

-- Back days per member, server and local calendar month (`month` is the first 7
-- characters of the logs' `day`), kept by triggers on backday_logs. `best_streak` and
-- `total_days` copy member_stats for the tie-breaks so one index orders the board; they
-- are refreshed only on the months anyone's /leaderboard can show now (the month of the
-- member's latest log minus two days, onwards: see SQLite's 0004). The primary key
-- leads with user_id: export, delete and the triggers find a member's rows by key.
CREATE TABLE monthly_days (
    user_id     BIGINT  NOT NULL,
    guild_id    BIGINT  NOT NULL,
    month       TEXT    COLLATE "C" NOT NULL,
    days        INTEGER NOT NULL CHECK (days > 0),
    best_streak INTEGER NOT NULL DEFAULT 0,
    total_days  INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    PRIMARY KEY (user_id, guild_id, month)
);

CREATE INDEX monthly_days_rank ON monthly_days
    (guild_id, month, hidden, days DESC, best_streak DESC, total_days DESC, user_id DESC);

-- How many shown members share each month standing: the month board's rank sums.
CREATE TABLE month_counts (
    guild_id    BIGINT  NOT NULL,
    month       TEXT    COLLATE "C" NOT NULL,
    days        INTEGER NOT NULL,
    best_streak INTEGER NOT NULL,
    total_days  INTEGER NOT NULL,
    members     BIGINT  NOT NULL CHECK (members > 0),
    PRIMARY KEY (guild_id, month, days, best_streak, total_days)
) WITH (fillfactor = 70);  -- as standing_counts: HOT count updates

-- As standing_counts_follow, for month standings.
CREATE FUNCTION month_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.hidden = 0 THEN
        DELETE FROM month_counts
            WHERE guild_id = OLD.guild_id AND month = OLD.month AND days = OLD.days
              AND best_streak = OLD.best_streak AND total_days = OLD.total_days
              AND members = 1;
        IF NOT FOUND THEN
            UPDATE month_counts SET members = members - 1
                WHERE guild_id = OLD.guild_id AND month = OLD.month AND days = OLD.days
                  AND best_streak = OLD.best_streak AND total_days = OLD.total_days;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.hidden = 0 THEN
        INSERT INTO month_counts AS c VALUES
            (NEW.guild_id, NEW.month, NEW.days, NEW.best_streak, NEW.total_days, 1)
            ON CONFLICT (guild_id, month, days, best_streak, total_days)
            DO UPDATE SET members = c.members + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER month_counts_insert AFTER INSERT ON monthly_days
    FOR EACH ROW WHEN (NEW.hidden = 0) EXECUTE FUNCTION month_counts_follow();

CREATE TRIGGER month_counts_delete AFTER DELETE ON monthly_days
    FOR EACH ROW WHEN (OLD.hidden = 0) EXECUTE FUNCTION month_counts_follow();

CREATE TRIGGER month_counts_update
    AFTER UPDATE OF days, best_streak, total_days, hidden ON monthly_days
    FOR EACH ROW
    WHEN ((OLD.days, OLD.best_streak, OLD.total_days, OLD.hidden)
          IS DISTINCT FROM (NEW.days, NEW.best_streak, NEW.total_days, NEW.hidden))
    EXECUTE FUNCTION month_counts_follow();

-- A log counts in its month; a new month row starts with the member's stats as they
-- stand (the recomputation that follows every log refreshes them) and their hidden
-- choice. An undone log leaves its month, and a month with no logs left has no row.
CREATE FUNCTION monthly_days_follow_logs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO monthly_days AS m
                (user_id, guild_id, month, days, best_streak, total_days, hidden)
            SELECT NEW.user_id, NEW.guild_id, substr(NEW.day, 1, 7), 1,
                   COALESCE(s.best_streak, 0), COALESCE(s.total_days, 0),
                   COALESCE((SELECT leaderboard_hidden FROM member_settings
                             WHERE user_id = NEW.user_id), 0)
            FROM (VALUES (1)) AS one
            LEFT JOIN member_stats AS s
                ON s.guild_id = NEW.guild_id AND s.user_id = NEW.user_id
            ON CONFLICT (user_id, guild_id, month) DO UPDATE SET days = m.days + 1;
    ELSE
        DELETE FROM monthly_days
            WHERE user_id = OLD.user_id AND guild_id = OLD.guild_id
              AND month = substr(OLD.day, 1, 7) AND days = 1;
        IF NOT FOUND THEN
            UPDATE monthly_days SET days = days - 1
                WHERE user_id = OLD.user_id AND guild_id = OLD.guild_id
                  AND month = substr(OLD.day, 1, 7);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER monthly_days_log AFTER INSERT ON backday_logs
    FOR EACH ROW EXECUTE FUNCTION monthly_days_follow_logs();

CREATE TRIGGER monthly_days_unlog AFTER DELETE ON backday_logs
    FOR EACH ROW EXECUTE FUNCTION monthly_days_follow_logs();

-- Refresh the tie-break copies on the months anyone can be in now (see monthly_days).
CREATE FUNCTION monthly_days_follow_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE monthly_days SET best_streak = NEW.best_streak, total_days = NEW.total_days
        WHERE user_id = NEW.user_id AND guild_id = NEW.guild_id
          AND month >= (SELECT to_char(MAX(day)::date - 2, 'YYYY-MM') FROM backday_logs
                        WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id)
          AND (best_streak, total_days) IS DISTINCT FROM (NEW.best_streak, NEW.total_days);
    RETURN NULL;
END;
$$;

CREATE TRIGGER monthly_days_stats_insert AFTER INSERT ON member_stats
    FOR EACH ROW EXECUTE FUNCTION monthly_days_follow_stats();

CREATE TRIGGER monthly_days_stats_update AFTER UPDATE OF best_streak, total_days ON member_stats
    FOR EACH ROW
    WHEN ((OLD.best_streak, OLD.total_days) IS DISTINCT FROM (NEW.best_streak, NEW.total_days))
    EXECUTE FUNCTION monthly_days_follow_stats();

-- --- hiding and showing --------------------------------------------------------------------

-- The member's choice reaches every ranked row of theirs, in every server, at once (the
-- histogram triggers then move them out of or back into the counts). Deleting the
-- settings row shows the member again.
CREATE FUNCTION leaderboard_hidden_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    member BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
    flag INTEGER := CASE WHEN TG_OP = 'DELETE' THEN 0 ELSE NEW.leaderboard_hidden END;
BEGIN
    UPDATE member_stats SET hidden = flag WHERE user_id = member AND hidden <> flag;
    UPDATE monthly_days SET hidden = flag WHERE user_id = member AND hidden <> flag;
    RETURN NULL;
END;
$$;

CREATE TRIGGER leaderboard_hidden_insert AFTER INSERT ON member_settings
    FOR EACH ROW WHEN (NEW.leaderboard_hidden = 1) EXECUTE FUNCTION leaderboard_hidden_follow();

CREATE TRIGGER leaderboard_hidden_update AFTER UPDATE OF leaderboard_hidden ON member_settings
    FOR EACH ROW WHEN (OLD.leaderboard_hidden IS DISTINCT FROM NEW.leaderboard_hidden)
    EXECUTE FUNCTION leaderboard_hidden_follow();

CREATE TRIGGER leaderboard_hidden_delete AFTER DELETE ON member_settings
    FOR EACH ROW WHEN (OLD.leaderboard_hidden = 1) EXECUTE FUNCTION leaderboard_hidden_follow();
