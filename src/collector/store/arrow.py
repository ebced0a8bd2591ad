"""pyarrow for the store, loaded without pandas.

pyarrow imports pandas by itself: when ``pyarrow.dataset`` loads, and on the first ``pa.array``
built from a Python list (its lazy "is this a pandas object?" probe). That is ~0.6 s of CPU,
holding the GIL inside a run while discovery and the fetches wait, and ~45 MB per process, for a
library the store never uses: it writes and reads Arrow tables, never DataFrames (issue #13).

So the first import of this module hides pandas from pyarrow, in the importing thread only (other
threads import what they like meanwhile), until pyarrow has settled that pandas is absent. Nothing
is lost: pyarrow's pandas APIs (``Table.to_pandas``, ``Table.from_pandas``) import pandas when
they are called, and a process that has already imported pandas, or ``pyarrow.dataset``, is left
as it is. Store modules import pyarrow from here (``from collector.store.arrow import pa, ds``).
"""

from __future__ import annotations

import sys
import threading
from importlib.machinery import ModuleSpec
from types import ModuleType


class _HidePandas:
    """A meta-path finder that refuses pandas to the one thread that installed it."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: object = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if threading.get_ident() == self.thread and name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r} (hidden from pyarrow by {__name__})", name=name)
        return None


def _load_without_pandas() -> None:
    if "pandas" in sys.modules or "pyarrow.dataset" in sys.modules:
        return  # pandas is there already (or pyarrow has loaded it): nothing to save
    hide = _HidePandas()
    sys.meta_path.insert(0, hide)
    try:
        import pyarrow
        import pyarrow.dataset  # noqa: F401 - loads pandas at import when it can

        pyarrow.array([], type=pyarrow.null())  # settles the probe: pandas absent, not tried again
    finally:
        sys.meta_path.remove(hide)


_load_without_pandas()

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
import pyarrow.fs as pafs  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

__all__ = ["ds", "pa", "pafs", "pc", "pq"]
