"""/backday, /streak and /leaderboard: weekly back-day streaks."""
