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
    └── StoreError                  dataset write / read problems

Library errors (httpx, pdfplumber, zipfile, lxml...) are converted at the module boundary so
callers only ever catch these. Every error has a short machine ``code`` that is stored in the
``documents`` table next to the human message.
"""

from __future__ import annotations


class CollectorError(Exception):
    code = "error"

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


class HttpStatusError(FetchError):
    code = "http_status"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransportError(FetchError):
    code = "transport"


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
