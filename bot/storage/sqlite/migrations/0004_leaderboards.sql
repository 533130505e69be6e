-- Three leaderboards (streak, month, all-time) and members who hide from all of them.
--
-- Every board is read the same way, whatever its size: a page is a short walk of one
-- index from a cursor (keyset paging), and a rank is one plus the members standing
-- strictly better, summed over a histogram of distinct standings (kept exact by
-- triggers) instead of counted over members. Hidden members stay in every table (their
-- streaks are still recomputed) but carry `hidden = 1`: the rank indexes put them apart
-- (`hidden` follows `guild_id`, so a board is read at `hidden = 0`) and the histograms
-- do not count them.
--
-- Existing data is upgraded in place: the new columns default to "shown", the
-- histograms keep their rows (nobody was hidden), and the month counts are backfilled
-- from the logs below.

-- --- who hides ---------------------------------------------------------------------------

-- The one place the choice is stored; triggers copy it onto the member's ranked rows.
ALTER TABLE member_settings ADD COLUMN
    leaderboard_hidden INTEGER NOT NULL DEFAULT 0 CHECK (leaderboard_hidden IN (0, 1));

ALTER TABLE member_stats ADD COLUMN
    hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

-- --- streak board and all-time board: member_stats ---------------------------------------

DROP INDEX member_stats_rank;
CREATE INDEX member_stats_rank ON member_stats
    (guild_id, hidden, current_streak DESC, best_streak DESC, total_days DESC, user_id DESC);

-- All-time order: total back days, then best streak (the second tie-break, total days,
-- is the board's own number), then user id for a stable page order.
CREATE INDEX member_stats_all_time ON member_stats
    (guild_id, hidden, total_days DESC, best_streak DESC, user_id DESC);

-- standing_counts (0002) now counts shown members only. It also serves the all-time
-- ranks: summing it by (total_days, best_streak) through this covering index visits the
-- same distinct standings the streak rank does.
CREATE INDEX standing_counts_all_time ON standing_counts
    (guild_id, total_days, best_streak, members);

DROP TRIGGER standing_counts_insert;
DROP TRIGGER standing_counts_delete;
DROP TRIGGER standing_counts_update;

CREATE TRIGGER standing_counts_insert AFTER INSERT ON member_stats WHEN new.hidden = 0
BEGIN
    INSERT INTO standing_counts VALUES
        (new.guild_id, new.current_streak, new.best_streak, new.total_days, 1)
        ON CONFLICT (guild_id, current_streak, best_streak, total_days)
        DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER standing_counts_delete AFTER DELETE ON member_stats WHEN old.hidden = 0
BEGIN
    DELETE FROM standing_counts
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days AND members = 1;
    UPDATE standing_counts SET members = members - 1
        WHERE guild_id = old.guild_id AND current_streak = old.current_streak
          AND best_streak = old.best_streak AND total_days = old.total_days;
END;

CREATE TRIGGER standing_counts_update
AFTER UPDATE OF current_streak, best_streak, total_days, hidden ON member_stats
WHEN (old.current_streak, old.best_streak, old.total_days, old.hidden)
     IS NOT (new.current_streak, new.best_streak, new.total_days, new.hidden)
BEGIN
    DELETE FROM standing_counts
        WHERE old.hidden = 0 AND guild_id = old.guild_id
          AND current_streak = old.current_streak AND best_streak = old.best_streak
          AND total_days = old.total_days AND members = 1;
    UPDATE standing_counts SET members = members - 1
        WHERE old.hidden = 0 AND guild_id = old.guild_id
          AND current_streak = old.current_streak AND best_streak = old.best_streak
          AND total_days = old.total_days;
    INSERT INTO standing_counts
        SELECT new.guild_id, new.current_streak, new.best_streak, new.total_days, 1
        WHERE new.hidden = 0
        ON CONFLICT (guild_id, current_streak, best_streak, total_days)
        DO UPDATE SET members = members + 1;
END;

-- A new row takes the member's choice as it is inserted (save_stats reads it from
-- member_settings), never by a later update: the AFTER INSERT triggers above and below
-- see the row as inserted, whatever order they fire in.

-- --- month board: monthly_days ------------------------------------------------------------

-- Back days per member, server and local calendar month (`month` is the first 7
-- characters of the logs' local `day`), kept by triggers on backday_logs.
-- `best_streak` and `total_days` copy member_stats for the tie-breaks, so one index
-- orders the board. Whenever the stats change they are refreshed on every month that
-- anyone's /leaderboard can show now: local dates around the world are at most two days
-- apart and nobody logs a day after their own today, so every caller is on or after the
-- member's latest logged day minus two days; that is this month only, or also the last
-- one in a month's first two days. Older months keep the copies of their time (nobody
-- can ask for them), which spares every log an update of last month's row and its count.
-- The primary key leads with user_id: export, delete and the triggers find a member's
-- rows by key.
CREATE TABLE monthly_days (
    user_id     INTEGER NOT NULL,
    guild_id    INTEGER NOT NULL,
    month       TEXT    NOT NULL,
    days        INTEGER NOT NULL CHECK (days > 0),
    best_streak INTEGER NOT NULL DEFAULT 0,
    total_days  INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    PRIMARY KEY (user_id, guild_id, month)
) STRICT, WITHOUT ROWID;

INSERT INTO monthly_days (user_id, guild_id, month, days, best_streak, total_days)
    SELECT logs.user_id, logs.guild_id, logs.month, logs.days,
           COALESCE(stats.best_streak, 0), COALESCE(stats.total_days, 0)
    FROM (SELECT guild_id, user_id, substr(day, 1, 7) AS month, COUNT(*) AS days
          FROM backday_logs GROUP BY guild_id, user_id, substr(day, 1, 7)) AS logs
    LEFT JOIN member_stats AS stats
        ON stats.guild_id = logs.guild_id AND stats.user_id = logs.user_id;

CREATE INDEX monthly_days_rank ON monthly_days
    (guild_id, month, hidden, days DESC, best_streak DESC, total_days DESC, user_id DESC);

-- How many shown members share each month standing: the month board's rank sums.
CREATE TABLE month_counts (
    guild_id    INTEGER NOT NULL,
    month       TEXT    NOT NULL,
    days        INTEGER NOT NULL,
    best_streak INTEGER NOT NULL,
    total_days  INTEGER NOT NULL,
    members     INTEGER NOT NULL CHECK (members > 0),
    PRIMARY KEY (guild_id, month, days, best_streak, total_days)
) STRICT, WITHOUT ROWID;

INSERT INTO month_counts
    SELECT guild_id, month, days, best_streak, total_days, COUNT(*) FROM monthly_days
    WHERE hidden = 0 GROUP BY guild_id, month, days, best_streak, total_days;

CREATE TRIGGER month_counts_insert AFTER INSERT ON monthly_days WHEN new.hidden = 0
BEGIN
    INSERT INTO month_counts VALUES
        (new.guild_id, new.month, new.days, new.best_streak, new.total_days, 1)
        ON CONFLICT (guild_id, month, days, best_streak, total_days)
        DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER month_counts_delete AFTER DELETE ON monthly_days WHEN old.hidden = 0
BEGIN
    DELETE FROM month_counts
        WHERE guild_id = old.guild_id AND month = old.month AND days = old.days
          AND best_streak = old.best_streak AND total_days = old.total_days AND members = 1;
    UPDATE month_counts SET members = members - 1
        WHERE guild_id = old.guild_id AND month = old.month AND days = old.days
          AND best_streak = old.best_streak AND total_days = old.total_days;
END;

CREATE TRIGGER month_counts_update
AFTER UPDATE OF days, best_streak, total_days, hidden ON monthly_days
WHEN (old.days, old.best_streak, old.total_days, old.hidden)
     IS NOT (new.days, new.best_streak, new.total_days, new.hidden)
BEGIN
    DELETE FROM month_counts
        WHERE old.hidden = 0 AND guild_id = old.guild_id AND month = old.month
          AND days = old.days AND best_streak = old.best_streak
          AND total_days = old.total_days AND members = 1;
    UPDATE month_counts SET members = members - 1
        WHERE old.hidden = 0 AND guild_id = old.guild_id AND month = old.month
          AND days = old.days AND best_streak = old.best_streak
          AND total_days = old.total_days;
    INSERT INTO month_counts
        SELECT new.guild_id, new.month, new.days, new.best_streak, new.total_days, 1
        WHERE new.hidden = 0
        ON CONFLICT (guild_id, month, days, best_streak, total_days)
        DO UPDATE SET members = members + 1;
END;

-- A log counts in its month; the row starts with the member's stats as they stand (the
-- recomputation that follows every log refreshes them) and their hidden choice.
CREATE TRIGGER monthly_days_log AFTER INSERT ON backday_logs
BEGIN
    INSERT INTO monthly_days VALUES (
        new.user_id, new.guild_id, substr(new.day, 1, 7), 1,
        COALESCE((SELECT best_streak FROM member_stats
                  WHERE guild_id = new.guild_id AND user_id = new.user_id), 0),
        COALESCE((SELECT total_days FROM member_stats
                  WHERE guild_id = new.guild_id AND user_id = new.user_id), 0),
        COALESCE((SELECT leaderboard_hidden FROM member_settings
                  WHERE user_id = new.user_id), 0))
        ON CONFLICT (user_id, guild_id, month) DO UPDATE SET days = days + 1;
END;

CREATE TRIGGER monthly_days_unlog AFTER DELETE ON backday_logs
BEGIN
    DELETE FROM monthly_days
        WHERE user_id = old.user_id AND guild_id = old.guild_id
          AND month = substr(old.day, 1, 7) AND days = 1;
    UPDATE monthly_days SET days = days - 1
        WHERE user_id = old.user_id AND guild_id = old.guild_id
          AND month = substr(old.day, 1, 7);
END;

-- Refresh the tie-break copies on the months anyone can be in now (see monthly_days).
CREATE TRIGGER monthly_days_stats_insert AFTER INSERT ON member_stats
BEGIN
    UPDATE monthly_days SET best_streak = new.best_streak, total_days = new.total_days
        WHERE user_id = new.user_id AND guild_id = new.guild_id
          AND month >= strftime('%Y-%m', (SELECT MAX(day) FROM backday_logs
                                          WHERE guild_id = new.guild_id
                                            AND user_id = new.user_id), '-2 days')
          AND (best_streak, total_days) IS NOT (new.best_streak, new.total_days);
END;

CREATE TRIGGER monthly_days_stats_update AFTER UPDATE OF best_streak, total_days ON member_stats
WHEN (old.best_streak, old.total_days) IS NOT (new.best_streak, new.total_days)
BEGIN
    UPDATE monthly_days SET best_streak = new.best_streak, total_days = new.total_days
        WHERE user_id = new.user_id AND guild_id = new.guild_id
          AND month >= strftime('%Y-%m', (SELECT MAX(day) FROM backday_logs
                                          WHERE guild_id = new.guild_id
                                            AND user_id = new.user_id), '-2 days')
          AND (best_streak, total_days) IS NOT (new.best_streak, new.total_days);
END;

-- --- hiding and showing -------------------------------------------------------------------

-- The member's choice reaches every ranked row of theirs, in every server, at once.
CREATE TRIGGER leaderboard_hidden_insert AFTER INSERT ON member_settings
WHEN new.leaderboard_hidden = 1
BEGIN
    UPDATE member_stats SET hidden = 1 WHERE user_id = new.user_id AND hidden = 0;
    UPDATE monthly_days SET hidden = 1 WHERE user_id = new.user_id AND hidden = 0;
END;

CREATE TRIGGER leaderboard_hidden_update AFTER UPDATE OF leaderboard_hidden ON member_settings
WHEN old.leaderboard_hidden IS NOT new.leaderboard_hidden
BEGIN
    UPDATE member_stats SET hidden = new.leaderboard_hidden
        WHERE user_id = new.user_id AND hidden IS NOT new.leaderboard_hidden;
    UPDATE monthly_days SET hidden = new.leaderboard_hidden
        WHERE user_id = new.user_id AND hidden IS NOT new.leaderboard_hidden;
END;

CREATE TRIGGER leaderboard_hidden_delete AFTER DELETE ON member_settings
WHEN old.leaderboard_hidden = 1
BEGIN
    UPDATE member_stats SET hidden = 0 WHERE user_id = old.user_id AND hidden = 1;
    UPDATE monthly_days SET hidden = 0 WHERE user_id = old.user_id AND hidden = 1;
END;
