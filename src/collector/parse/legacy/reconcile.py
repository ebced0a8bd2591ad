"""Annex and prose figures -> one value per field: the annex wins; a disagreement is reported.

The spec (legacy.md, "Reading rules"): an annex table wins over the prose for the same field when
they agree or the prose is silent; when they disagree the annex value is kept and a warning names
both readings, so an analyst sees the conflict next to the number.
"""

from __future__ import annotations

from collector.parse.legacy.prose import Reading


def reconcile(prose: dict[str, Reading], annex: dict[str, Reading]) -> tuple[dict[str, Reading], list[str]]:
    values: dict[str, Reading] = dict(prose)
    warnings: list[str] = []
    for name, a in annex.items():
        p = prose.get(name)
        if p is not None and _in_yuan(p) != _in_yuan(a):
            warnings.append(f"legacy.{name}: the annex says {a.value:g} ({a.where}) but the text says {p.value:g} "
                            f"({p.where}: {p.raw}); kept the annex value")
        values[name] = a
    return values, warnings


def _in_yuan(r: Reading) -> float:
    """Amounts compare in one unit (the annex writes 万元, the prose 元); counts as they are."""
    return float(r.value) * (10000 if r.unit == "万元" else 1)


__all__ = ["reconcile"]
