"""Discovery: listing pages -> report candidates, one adapter per CMS family.

``CMS_ADAPTERS`` is the registry; with ``cms: auto`` the adapters are tried in this declared
order on the seed page and the first that recognises it walks the column (generic last: it
accepts anything).
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector.discover.base import Candidate, Discoverer, ListingPage, ListItem, PageRequest
    from collector.discover.detail import DetailPage, attachment_ext, find_attachments, parse_detail
    from collector.discover.titles import TitleInfo, classify_title, is_report_title, title_agency, title_year
    from collector.discover.walk import WalkResult, walk

# Loaded on first use: the legacy recogniser imports ``collector.discover.titles`` and must not
# pay for BeautifulSoup and the adapters with it (issue #13).
_LAZY = {
    "Candidate": "base", "Discoverer": "base", "ListingPage": "base", "ListItem": "base", "PageRequest": "base",
    "DetailPage": "detail", "attachment_ext": "detail", "find_attachments": "detail", "parse_detail": "detail",
    "TitleInfo": "titles", "classify_title": "titles", "is_report_title": "titles", "title_agency": "titles",
    "title_year": "titles", "WalkResult": "walk", "walk": "walk",
}


def _adapters() -> dict[str, type[Discoverer]]:
    from collector.discover.generic import GenericDiscoverer
    from collector.discover.hanweb import HanwebDiscoverer
    from collector.discover.trs import TrsDiscoverer
    from collector.discover.vsb import VsbDiscoverer

    return {"trs": TrsDiscoverer, "hanweb": HanwebDiscoverer, "vsb": VsbDiscoverer, "generic": GenericDiscoverer}


class _Package(ModuleType):
    """The package's module type: the submodule ``walk`` and its function share a name, and the
    import system sets the submodule on the package when it is first imported; the package keeps
    exposing the function (as the eager imports did before issue #13)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "walk" and isinstance(value, ModuleType):
            value = value.walk
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name == "CMS_ADAPTERS":  # the registry, in the order auto-detection tries the adapters
        value: Any = _adapters()
    elif name in _LAZY:
        value = getattr(import_module(f"collector.discover.{_LAZY[name]}"), name)
    else:
        raise AttributeError(f"module 'collector.discover' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["CMS_ADAPTERS", "Candidate", "DetailPage", "Discoverer", "ListItem", "ListingPage", "PageRequest",
           "TitleInfo", "WalkResult", "attachment_ext", "classify_title", "find_attachments", "is_report_title",
           "parse_detail", "title_agency", "title_year", "walk"]
