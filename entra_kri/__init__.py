"""entra-kri: offline snapshot-and-replay analyzer for Microsoft Entra ID identity risk."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("entra-kri")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
