"""What every feature shares on Discord's side: errors, replies, sync, HTTP, pacing, logs."""
