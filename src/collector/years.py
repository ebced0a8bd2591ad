"""Report years of a run: parsed and checked once, where the run context is built."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from collector.errors import ConfigError


def default_years(today: date | None = None) -> list[int]:
    """A scheduled run looks at the last two report years (reports appear Jan–Mar, 条例 art. 49)."""
    y = (today or date.today()).year
    return [y - 2, y - 1]


def parse_years(spec: str | Iterable[int] | None) -> list[int]:
    """``"2021-2023"``, ``"2019,2021"``, ``[2022]`` or None (-> :func:`default_years`)."""
    if spec is None:
        return default_years()
    if isinstance(spec, str):
        out: set[int] = set()
        for part in spec.replace(" ", "").split(","):
            if not part:
                continue
            try:
                if "-" in part:
                    a, b = (int(x) for x in part.split("-", 1))
                    if b < a or b - a > 50:
                        raise ValueError
                    out.update(range(a, b + 1))
                else:
                    out.add(int(part))
            except ValueError:
                raise ConfigError(f"bad --years {spec!r}: write e.g. 2021-2023 or 2019,2021") from None
        years = sorted(out)
    else:
        try:
            years = sorted(set(int(y) for y in spec))
        except (TypeError, ValueError):
            raise ConfigError(f"bad years {spec!r}") from None
    if not years or any(not 1990 <= y <= 2100 for y in years):
        raise ConfigError(f"bad years {spec!r}")
    return years


__all__ = ["default_years", "parse_years"]
