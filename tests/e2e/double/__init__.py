"""The loopback Discord double, one module per concern.

Import it through `tests.e2e.discord_double`, which re-exports the names tests use and
describes the layout.
"""
