"""The installed blindsr version, in a leaf module that imports nothing of the project.

Every layer may read it (the ZSSR report records it) without importing the top-level package.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("blindsr")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
