"""/posture: daily posture nudges by DM, at each member's local time."""
