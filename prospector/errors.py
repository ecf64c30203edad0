"""The ProspectorError hierarchy.

Core code raises only these; library errors are translated at the edge where they happen.
The CLI is the one error boundary: it prints ``str(error)`` on one line and exits with
``error.exit_code``.
"""

from __future__ import annotations


class ProspectorError(Exception):
    """Base class of every error Prospector reports to a person."""

    exit_code = 1


class UserError(ProspectorError):
    """Something the user can fix: bad input, bad arguments, missing files."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration file or environment override is invalid."""


class CampaignError(UserError):
    """A campaign file is invalid."""


class TemplateError(UserError):
    """A pitch template is invalid or renders badly."""


class StoreError(ProspectorError):
    """The database cannot be opened, migrated or written."""


class NetworkError(ProspectorError):
    """A network operation failed in a way that is not a page-level result."""


class ForbiddenAddressError(NetworkError):
    """The network guard refused a destination; no request was sent."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"refused connection to {host} ({address}): {reason}")
        self.host = host
        self.address = address
        self.reason = reason


class NameNotResolvedError(NetworkError):
    """A host name does not exist (NXDOMAIN), as opposed to a transient DNS failure."""

    def __init__(self, host: str, *, transient: bool = False, detail: str = "") -> None:
        kind = "temporary DNS failure" if transient else "no such host (NXDOMAIN)"
        super().__init__(f"{host}: {kind}" + (f": {detail}" if detail else ""))
        self.host = host
        self.transient = transient


class BrowserError(ProspectorError):
    """The browser could not be found, launched or connected to."""


class NotAvailableError(ProspectorError):
    """A command that belongs to the product but is not built yet."""

    exit_code = 3
