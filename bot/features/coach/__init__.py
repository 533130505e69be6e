"""/coach: server settings, knowledge reload, the weekly recap and insights (Manage
Server); and the daily retention job that forgets history older than 90 days."""
