-- Placeholder: settings, streaks and leaderboards (in progress).
SELECT 1;
