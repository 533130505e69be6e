"""One package per feature, named as members know it.

Each holds its own layers: pure rules, a service over storage with a clock, reply
builders, views (buttons) and a thin cog whose module's `setup` loads it. `bot.app`
discovers every package here that has a `cog` module. A feature uses another only
through what that feature's package exports.
"""
