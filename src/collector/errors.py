"""The one exception tree of the library.

::

    CollectorError
    ├── ConfigError                 invalid portal YAML / settings
    ├── FetchError                  anything between a URL and its bytes
    │   ├── OffAllowList            host not in the portal's allowed_domains (also on redirects)
    │   ├── PrivateAddress          loopback / private / link-local target without --allow-loopback
    │   ├── Blocked                 anti-bot answer (412/521 JS challenge); needs a browser pass
    │   ├── RobotsDisallowed        robots.txt forbids the URL
    │   ├── TooLarge                body over the size cap
    │   ├── FetchTimeout            connect/read/total time cap hit
    │   │   └── UrlBudgetSpent      the URL used up its time budget (all attempts, both retry layers)
    │   ├── HttpStatusError         a final non-2xx status after retries
    │   ├── TransportError          connection refused / reset / TLS failure after retries
    │   └── TooManyRedirects        redirect chain longer than the cap (or a loop)
    ├── ExtractError                bytes -> Document failed
    │   ├── UnsupportedFormat       content sniffing found no known format
    │   ├── CorruptFile             truncated / malformed / encrypted / bomb
    │   ├── NeedsLibreOffice        DOC/WPS/ET/XLS conversion needs soffice, which is missing
    │   └── ResourceLimit           page / time / decompressed-size cap hit
    ├── ParseError                  Document -> record failed (not a report, empty)
    │   └── NotAReport              the document is not an annual report
    └── StoreError                  dataset / raw store / crawl state write or read problems
        ├── DiskFull                "No space left on device" (or the quota): the run fails
        ├── ReadOnlyStore           the output root cannot be written (reads still work)
        └── BadLocation             the output root is no location we can write: unknown scheme,
                                    missing bucket, refused credentials

Library errors (httpx, pdfplumber, zipfile, lxml...) are converted at the module boundary so
callers only ever catch these. Every error has a short machine ``code`` that is stored in the
``documents`` table next to the human message.

The retry policy lives here, on the classes: :func:`is_transient` says whether another attempt
may succeed (timeouts, dropped connections, 429 and most 5xx, a busy state file). The fetcher
retries those within the URL's time budget; the Prefect tasks retry them too, but never an error
whose URL has spent its budget (:class:`UrlBudgetSpent` is not transient), so one URL costs at
most ``FetchSettings.url_budget`` seconds across both layers.
"""

from __future__ import annotations


class CollectorError(Exception):
    code = "error"
    transient = False  # another attempt later may succeed (see is_transient)

    def __str__(self) -> str:  # one clean line for CLI output and the documents table
        return " ".join(str(a) for a in self.args).replace("\n", " ").strip() or self.code


class ConfigError(CollectorError):
    code = "config"


class FetchError(CollectorError):
    code = "fetch"


class OffAllowList(FetchError):
    code = "off_allow_list"


class PrivateAddress(FetchError):
    code = "private_address"


class Blocked(FetchError):
    code = "blocked"


class RobotsDisallowed(FetchError):
    code = "robots"


class TooLarge(FetchError):
    code = "too_large"


class FetchTimeout(FetchError):
    code = "timeout"
    transient = True


class UrlBudgetSpent(FetchTimeout):
    """The URL has cost its whole time budget: retrying it (in any layer) only holds the portal."""

    code = "url_budget"
    transient = False


# Statuses worth another attempt: rate limiting, and server errors that are not a verdict
# (501 Not Implemented and 505 Version Not Supported will answer the same way again).
RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 520, 522, 523, 524})


class HttpStatusError(FetchError):
    code = "http_status"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property  # type: ignore[override]
    def transient(self) -> bool:
        return self.status is None or self.status in RETRY_STATUS


class TransportError(FetchError):
    code = "transport"
    transient = True


class TooManyRedirects(FetchError):
    code = "redirects"


class ExtractError(CollectorError):
    code = "extract"


class UnsupportedFormat(ExtractError):
    code = "unsupported_format"


class CorruptFile(ExtractError):
    code = "corrupt"


class NeedsLibreOffice(ExtractError):
    code = "needs_libreoffice"


class ResourceLimit(ExtractError):
    code = "resource_limit"


class ParseError(CollectorError):
    code = "parse"


class NotAReport(ParseError):
    code = "not_a_report"


class StoreError(CollectorError):
    code = "store"


class DiskFull(StoreError):
    code = "disk_full"


class ReadOnlyStore(StoreError):
    code = "read_only"


class BadLocation(StoreError):
    code = "bad_location"


def is_transient(exc: BaseException) -> bool:
    """The one definition of "worth another attempt", for the fetcher and the Prefect tasks."""
    if isinstance(exc, CollectorError):
        return bool(exc.transient)
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):  # another process holds the crawl state
        return "locked" in str(exc) or "busy" in str(exc)
    return False
