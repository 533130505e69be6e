-- /backday log writes the member's month row once, not twice.
--
-- Until now the log's trigger counted the day in its month row, then the streak save's
-- triggers on member_stats rewrote the same row's tie-break copies (best streak, total
-- days). Every write of a month row moves its rank index entry and runs the three
-- statements of month_counts_update, so the second write was about a sixth of a log.
--
-- Now the copies are refreshed by the streak save itself (`SqliteStreaks.save_stats`),
-- which is the only writer of best_streak and total_days, on the same months as before
-- (those anyone's /leaderboard can show now; see monthly_days in 0004). And /backday log
-- saves the streak *before* inserting the day (`SqliteStreaks.log_day`), so the log's
-- trigger below starts or counts the month row with the new copies in one write. The
-- data does not change: every row already holds what these rules keep.

DROP TRIGGER monthly_days_stats_insert;
DROP TRIGGER monthly_days_stats_update;

-- A log counts in its month; the row takes the member's stats as they stand (saved
-- first by /backday log, else refreshed by the save that follows) and their hidden choice.
DROP TRIGGER monthly_days_log;
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
        ON CONFLICT (user_id, guild_id, month) DO UPDATE SET
            days = days + 1, best_streak = excluded.best_streak,
            total_days = excluded.total_days;
END;
