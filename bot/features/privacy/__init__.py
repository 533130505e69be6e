"""/privacy: export and delete everything stored about a member, and hide them from the
leaderboards."""
