"""The threaded client: :class:`TrodoClient` and its parts (twin of ``trodo._async``)."""
