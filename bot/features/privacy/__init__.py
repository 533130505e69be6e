"""/privacy: export and delete everything stored about a member."""
