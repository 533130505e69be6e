"""/backday, /streak and /leaderboard: weekly back-day streaks.

What other features may use is exported here: the pure streak rule and the week.
"""

from bot.features.streaks.rules import StreakStats, streak_stats, week_of

__all__ = ["StreakStats", "streak_stats", "week_of"]
