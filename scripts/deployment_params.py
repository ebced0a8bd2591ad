"""The README's deployment-parameters table, generated from the flows' signatures and docstrings.

Prefect reads the same Google-style ``Args:`` sections into each deployment's parameter schema
(the descriptions the UI shows), so the table, the UI and the code cannot drift apart:
``tests/test_deployment_params.py`` fails when the README's table is stale.

    python scripts/deployment_params.py          # rewrite the table in README.md
    python scripts/deployment_params.py --check  # exit 1 if README.md is stale
    python scripts/deployment_params.py --print  # print the table
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEPLOYMENTS = ROOT / "deployments" / "prefect.yaml"
START, END = "<!-- deployment-parameters:start -->", "<!-- deployment-parameters:end -->"


def _load_flow(entrypoint: str) -> Any:
    sys.path.insert(0, str(ROOT))
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(str(ROOT / entrypoint))


def parameters(entrypoint: str) -> list[dict[str, Any]]:
    """Name, type, flow default and description of each parameter, as ``prefect deploy`` reads them."""
    from prefect.utilities.callables import parameter_schema_from_entrypoint

    path, func = entrypoint.split(":")
    schema = parameter_schema_from_entrypoint(f"{ROOT / path}:{func}").model_dump()
    sig = inspect.signature(_load_flow(entrypoint).fn)
    out = []
    for name, p in sig.parameters.items():
        prop = schema["properties"][name]
        out.append({"name": name, "type": str(p.annotation), "required": name in schema.get("required", []),
                    "default": None if p.default is inspect.Parameter.empty else p.default,
                    "description": " ".join((prop.get("description") or "").split())})
    return out


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v


def render() -> str:
    spec = yaml.safe_load(DEPLOYMENTS.read_text("utf-8"))
    parts = []
    for dep in spec["deployments"]:
        flow = _load_flow(dep["entrypoint"])
        set_by = dep.get("parameters") or {}
        parts += [f"**`{flow.name}/{dep['name']}`** (`{dep['entrypoint']}`)", "",
                  "| parameter | type | value in the deployment | description |", "|---|---|---|---|"]
        for p in parameters(dep["entrypoint"]):
            if p["name"] in set_by:
                value = f"`{_value(set_by[p['name']])}`"
            elif p["required"]:
                value = "required at run time"
            else:
                value = f"`{_value(p['default'])}` (flow default)"
            desc, typ = p["description"].replace("|", "\\|"), p["type"].replace("|", "\\|")
            parts.append(f"| `{p['name']}` | `{typ}` | {value} | {desc} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def splice(readme: str, table: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"README.md lacks the {START} … {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str]) -> int:
    table = render()
    if "--print" in argv:
        sys.stdout.write(table)
        return 0
    text = README.read_text("utf-8")
    new = splice(text, table)
    if "--check" in argv:
        return 0 if new == text else 1
    README.write_text(new, "utf-8")
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
