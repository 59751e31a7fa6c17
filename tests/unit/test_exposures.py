"""dbt's exposures say truthfully who reads the marts: the report's lists what its code selects from,
the BI tools' every published mart. Reads the manifest and the report's code, no warehouse."""

import json
import re

from orchestration.lib.settings import DBT_PROJECT_DIR, PROJECT_ROOT

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
REPORT_CODE = PROJECT_ROOT / "orchestration" / "lib" / "report"


def exposure_models(manifest: dict, name: str) -> set[str]:
    exposure = manifest["exposures"][f"exposure.lifecycle.{name}"]
    return {node.rsplit(".", 1)[1] for node in exposure["depends_on"]["nodes"]}


def test_the_report_exposure_lists_the_marts_the_report_reads():
    manifest = json.loads(MANIFEST.read_text())
    files = [REPORT_CODE / "headline.py", *sorted((REPORT_CODE / "sections").glob("*.py")), REPORT_CODE / "page.py"]
    read = {name for path in files for name in re.findall(r"\bmarts\.(\w+)", path.read_text())}
    assert exposure_models(manifest, "lifecycle_report") == read


def test_the_bi_tools_exposure_lists_every_published_mart():
    manifest = json.loads(MANIFEST.read_text())
    marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    assert exposure_models(manifest, "bi_tools") == marts
