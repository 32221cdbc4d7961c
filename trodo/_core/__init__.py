"""Everything without a driver: options, validation, records, the answer
vocabulary, the retry rules, the delivery policy, reporting, sessions, the
operations, and the bases the sync and async twins build on.

Nothing here does I/O of its own, starts a thread or imports asyncio, the
generated client or a twin (``tests/test_layout.py`` and ruff check it).
"""
