"""/coach: server settings and knowledge reload (Manage Server)."""
