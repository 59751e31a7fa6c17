"""A BI tool that opens the serving file as docs/publishing.md says reads every mart and nothing else: the
recipes are read from that page, so the test follows the page."""

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from orchestration.lib.settings import PROJECT_ROOT

PUBLISHING_PAGE = PROJECT_ROOT / "docs" / "publishing.md"

Query = Callable[[str], list[tuple]]


def documented(prefix: str) -> str:
    """The one code span of the publishing page that starts with `prefix`."""
    [span] = [span for span in re.findall(r"`([^`]+)`", PUBLISHING_PAGE.read_text()) if span.startswith(prefix)]
    return span


def notebook(serving: Path) -> Query:
    """`duckdb.connect(...)` with the keyword arguments the notebook recipe gives."""
    [call] = ast.parse(documented("duckdb.connect(")).body
    keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.value.keywords}

    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(serving), **keywords) as connection:
            return connection.execute(sql).fetchall()

    return query


def through_sqlalchemy(url: str, **engine_parameters) -> Query:
    """A fresh duckdb-engine connection per statement (Superset's `NullPool`), raising DuckDB's own errors."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool, **engine_parameters)

    def query(sql: str) -> list[tuple]:
        try:
            with engine.connect() as connection:
                return list(connection.execute(sqlalchemy.text(sql)).fetchall())
        except sqlalchemy.exc.DBAPIError as error:
            raise error.orig from error

    return query


def superset_uri(serving: Path) -> Query:
    """The documented SQLAlchemy URI, its settings in the query string."""
    settings = documented("duckdb:///").partition("?")[2]
    return through_sqlalchemy(f"duckdb:///{serving}?{settings}")


def superset_engine_parameters(serving: Path) -> Query:
    """The plain URI, with the Engine Parameters JSON Superset passes to `create_engine`."""
    return through_sqlalchemy(f"duckdb:///{serving}", **json.loads(documented('{"connect_args"')))


RECIPES = [notebook, superset_uri, superset_engine_parameters]


@pytest.fixture(scope="module")
def marts(published_sample) -> dict[str, int]:
    """Each mart's row count, read with nothing restricted."""
    serving, _ = published_sample
    with duckdb.connect(str(serving), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()
        return {table: connection.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0] for (table,) in tables}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda recipe: recipe.__name__)
def test_a_bi_recipe_reads_every_mart(recipe, published_sample, marts):
    query = recipe(published_sample[0])
    assert marts
    assert {table: query(f"SELECT count(*) FROM marts.{table}")[0][0] for table in marts} == marts


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda recipe: recipe.__name__)
def test_a_bi_recipe_reaches_no_file_but_the_serving_file_and_cannot_write(recipe, published_sample, tmp_path):
    serving, _ = published_sample
    query = recipe(serving)
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\n42\n")
    duckdb.connect(str(tmp_path / "other.duckdb")).close()

    with pytest.raises(duckdb.PermissionException, match="file system operations are disabled"):
        query(f"SELECT * FROM read_csv('{outside}')")
    with pytest.raises(duckdb.PermissionException, match="file system operations are disabled"):
        query(f"ATTACH '{tmp_path / 'other.duckdb'}' AS other")
    with pytest.raises(duckdb.PermissionException, match="file system operations are disabled"):
        query(f"COPY marts.customers TO '{tmp_path / 'copied.csv'}'")
    with pytest.raises(duckdb.InvalidInputException, match="read-only mode"):
        query("CREATE TABLE marts.planted AS SELECT 1 AS x")
    with pytest.raises(duckdb.InvalidInputException, match="Cannot enable external access"):
        query("SET enable_external_access = true")
    assert not (tmp_path / "copied.csv").exists()
