"""Shared plain pieces: no Discord objects, no SQL, and no feature imported here."""
