"""Trodo server-side analytics for Python."""

from trodo._version import __version__

__all__ = ["__version__"]
