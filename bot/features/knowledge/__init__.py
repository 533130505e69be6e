"""/cue, /why-back-pain and /ask: the knowledge base coaches edit, its search and replies.

What other features may use is exported here; everything else is this feature's own.
"""

from bot.features.knowledge.loader import KnowledgeBaseError
from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.render import NOT_MEDICAL_ADVICE, source_line
from bot.features.knowledge.store import Knowledge, KnowledgeStore

__all__ = [
    "NOT_MEDICAL_ADVICE",
    "Knowledge",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeStore",
    "source_line",
]
