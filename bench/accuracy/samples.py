"""The real samples of ../shared/samples with complete hand-made expectations (skipped when absent)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.conftest import SAMPLES
from tests.test_samples import SHANGHAI_S2, SHANGHAI_S3, SHANGHAI_S4, _expected

from bench.accuracy import Case


def cases() -> Iterator[Case]:
    page = SAMPLES / "shanghai-gov-office-2019.html"
    if not page.is_file():
        return
    yield Case("samples", "html", page.name, page.read_bytes(), _expected(SHANGHAI_S2, SHANGHAI_S3, SHANGHAI_S4),
               hint="html", source_url="https://www.shanghai.gov.cn/nw12344/20200131/0001-12344_62938.html",
               meta={"format_version": "gb2019", "report_year": 2019, "agency_name": "上海市人民政府办公厅",
                     "published_date": "2020-01-31"})
