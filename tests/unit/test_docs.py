"""The docs say what the code does: the contract tables are the contract's, and the README's layout
tree is the tree on disk."""

import re

import pytest

from orchestration.lib.ingest.contract import SOURCES
from orchestration.lib.settings import PROJECT_ROOT
from tools.contract_docs import CONTRACT_PAGE, column_table, documented_table, freshness_table

README = PROJECT_ROOT / "README.md"


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.folder)
def test_the_input_contract_page_shows_the_contract_in_code(source):
    assert documented_table(CONTRACT_PAGE.read_text(), source) == column_table(source), (
        "docs/input-contract.md is out of date: run `python -m tools.contract_docs`"
    )


def test_the_input_contract_page_shows_the_contracts_freshness_windows():
    assert documented_table(CONTRACT_PAGE.read_text(), None) == freshness_table(), (
        "docs/input-contract.md is out of date: run `python -m tools.contract_docs`"
    )


def _layout_tree() -> list[str]:
    """The paths the README's layout block names, each joined to the folders it is indented under."""
    block = re.search(r"```\n(orchestration/\n.*?)```", README.read_text(), re.S).group(1)
    paths, parents = [], []
    for line in block.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        parents = parents[:depth] + [name]
        paths.append("".join(parents))
    return paths


def test_the_readme_layout_names_only_what_is_on_disk():
    missing = [path for path in _layout_tree() if not (PROJECT_ROOT / path).exists()]
    assert not missing, f"the README's layout names {missing}, which do not exist"


@pytest.mark.parametrize("folder", ["orchestration/defs", "orchestration/lib"])
def test_the_readme_layout_shows_every_package_of_the_pipeline(folder):
    shown = set(_layout_tree())
    packages = {
        f"{path.relative_to(PROJECT_ROOT).as_posix()}/"
        for path in (PROJECT_ROOT / folder).iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    assert packages <= shown, f"not in the README's layout: {sorted(packages - shown)}"
