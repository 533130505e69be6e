-- Small key/value facts the bot keeps about itself (e.g. the hash of the last
-- command tree it synced, so it only syncs again when commands change).
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
