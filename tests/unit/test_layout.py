"""`orchestration/lib/` is plain Python grouped along the data's path: no module imports Dagster, and no
import runs back up the path (a package may use its own modules, the shared top-level ones such as
`settings`, and the packages after it: ingest writes through `warehouse`, never the other way)."""

import ast
from pathlib import Path

import pytest

from orchestration.lib.settings import PROJECT_ROOT

LIB = PROJECT_ROOT / "orchestration" / "lib"
PATH = ("ingest", "warehouse", "transform", "clv", "publish", "report")
MODULES = sorted(LIB.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if parts[:2] == ["orchestration", "lib"] and len(parts) > 2 and parts[2] in PATH else None


def test_every_lib_package_is_on_the_path():
    packages = {path.name for path in LIB.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert packages <= set(PATH), f"{packages - set(PATH)}: add it to the path in this test and the README"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.relative_to(LIB).as_posix())
def test_no_import_runs_back_up_the_data_path_or_reaches_dagster(path: Path):
    here = path.relative_to(LIB).parts[0] if len(path.relative_to(LIB).parts) > 1 else None
    imports = _imports(path)
    assert not [name for name in imports if name.split(".")[0] in ("dagster", "dagster_dbt", "dagster_duckdb")]
    assert not [name for name in imports if name.startswith(("orchestration.defs", "orchestration.cli"))]
    if here is None:  # a shared top-level module (settings, alerts): nothing on the path above it
        return
    behind = [name for name in imports if (stage := _stage(name)) and PATH.index(stage) < PATH.index(here)]
    assert not behind, f"{path.relative_to(LIB)} imports {behind}, which come before {here} on the data's path"
