"""The asyncio client: :class:`AsyncTrodoClient` and its parts (twin of ``trodo._sync``).

Imported only on first use of the async client: ``import trodo`` never loads asyncio.
"""
