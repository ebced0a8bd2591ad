"""Discovery: listing pages -> report candidates, one adapter per CMS family.

``CMS_ADAPTERS`` is the registry; with ``cms: auto`` the adapters are tried in this declared
order on the seed page and the first that recognises it walks the column (generic last: it
accepts anything).
"""

from __future__ import annotations

from collector.discover.base import Candidate, Discoverer, ListingPage, ListItem, PageRequest
from collector.discover.detail import DetailPage, attachment_ext, find_attachments, parse_detail
from collector.discover.generic import GenericDiscoverer
from collector.discover.hanweb import HanwebDiscoverer
from collector.discover.titles import TitleInfo, classify_title, is_report_title, title_agency, title_year
from collector.discover.trs import TrsDiscoverer
from collector.discover.vsb import VsbDiscoverer
from collector.discover.walk import WalkResult, walk

CMS_ADAPTERS: dict[str, type[Discoverer]] = {
    "trs": TrsDiscoverer,
    "hanweb": HanwebDiscoverer,
    "vsb": VsbDiscoverer,
    "generic": GenericDiscoverer,
}

__all__ = ["CMS_ADAPTERS", "Candidate", "DetailPage", "Discoverer", "ListItem", "ListingPage", "PageRequest",
           "TitleInfo", "WalkResult", "attachment_ext", "classify_title", "find_attachments", "is_report_title",
           "parse_detail", "title_agency", "title_year", "walk"]
