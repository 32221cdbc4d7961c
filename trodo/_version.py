"""The SDK's version, in one place: the package metadata, the User-Agent and
``trodo.__version__`` read it."""

__version__ = "0.1.0"
