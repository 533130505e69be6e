-- Small key/value facts the bot keeps about itself (the hash of the last command tree
-- it synced, identify slots of shards, ...).
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
