"""Storage: the only place with SQL.

Features speak to `Storage` (in `base`) through the typed stores of one `Transaction`:
`settings`, `streaks`, `posture`, `privacy`, `state`, `schedule`, `backday_reminders`,
`recaps`, `insights` and `retention`, each declared with its records in the module of
that name. `sqlite/` is the embedded backend.
"""

from bot.storage.base import Storage, Transaction

__all__ = ["Storage", "Transaction"]
