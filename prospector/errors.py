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


class SearchError(NetworkError):
    """A search provider failed to answer one query; discovery records it and goes on.

    Subclasses with ``stops_search = True`` mean no further query can succeed (a bad key, an
    exhausted quota, an endpoint that refuses the API): the search step stops with this error.
    """

    stops_search = False

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class SearchAuthError(SearchError):
    """The provider rejected the API key, or no key is set."""

    exit_code = 2
    stops_search = True


class SearchQuotaError(SearchError):
    """The provider's quota (or its rate limiter) refuses every further request for now."""

    stops_search = True

    def __init__(self, provider: str, message: str, reset_s: float | None = None) -> None:
        super().__init__(provider, message)
        self.reset_s = reset_s


class SearchUnavailableError(SearchError):
    """The configured endpoint does not serve the search API as configured (or is down)."""

    stops_search = True


class ImportFormatError(UserError):
    """An import file cannot be used as a whole: unreadable, no recognisable header, or no
    usable rows. Nothing is written."""


class AuthorityError(NetworkError):
    """An authority provider failed to answer one batch of domains; the next provider is tried.

    Subclasses with ``stops_provider = True`` mean no further batch can succeed (a bad key, an
    exhausted quota): the provider is not asked again in this run.
    """

    stops_provider = False

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class AuthorityAuthError(AuthorityError):
    """The authority API rejected the key (HTTP 401 or 403)."""

    exit_code = 2
    stops_provider = True


class AuthorityQuotaError(AuthorityError):
    """The authority API's quota or rate limit refuses further requests for now (HTTP 429)."""

    stops_provider = True

    def __init__(self, provider: str, message: str, reset_s: float | None = None) -> None:
        super().__init__(provider, message)
        self.reset_s = reset_s
