"""The one exception hierarchy for expected failures.

Every failure a user can cause or meet (bad secret, wrong tenant, missing
consent, tampered snapshot...) is raised as an `EntraKriError` carrying what
went wrong and how to fix it. The CLI turns it into a one-paragraph message and
an exit status in one place (`entra_kri.cli`). Messages must never contain a
secret or a token: build them from error codes and ids, not from raw bodies.
"""

from __future__ import annotations


class EntraKriError(Exception):
    """An expected failure: `cause` says what happened, `fix` what to do."""

    exit_code = 1

    def __init__(self, cause: str, fix: str = "") -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.cause} {self.fix}".strip()


class ConfigurationError(EntraKriError):
    """Options or configuration that cannot work (missing secret, bad GUID...)."""

    exit_code = 2


class AuthenticationError(EntraKriError):
    """The token endpoint refused us (invalid_client, AADSTS90002...)."""


class GraphError(EntraKriError):
    """Graph answered with an error we do not tolerate."""

    def __init__(self, cause: str, fix: str = "", *, status: int | None = None,
                 code: str | None = None, detail: str = "") -> None:
        self.status = status
        self.code = code
        self.detail = detail  # Graph's own error.message, truncated
        super().__init__(cause, fix)


class NetworkError(EntraKriError):
    """No usable answer: connection failures or retries exhausted."""


class SnapshotError(EntraKriError):
    """A snapshot on disk is missing, incomplete or does not match its manifest."""


class LakeError(EntraKriError):
    """A lake written by `entra-kri lake export` that cannot be read."""


class StoreError(EntraKriError):
    """An object store refused us or could not be reached (credentials, access, network)."""
