"""The Hive metastore's schema on PostgreSQL, created once before any server starts.

Left to the servers (`datanucleus.schema.autoCreateAll=true`), the first CREATE TABLE hangs for ever: DataNucleus
creates TBL_PRIVS on a second connection while the first holds a lock on TBLS. DataNucleus' own SchemaTool
creates every table from the metastore's JDO mapping up front; the servers then run with autoCreateAll off."""

import shutil
import subprocess
import zipfile
from pathlib import Path

from tools.cluster.spark import POSTGRESQL_JAR, spark_home

SCHEMA_TIMEOUT_SECONDS = 180


def jdbc_url(port: int) -> str:
    return f"jdbc:postgresql://127.0.0.1:{port}/metastore"


def connection_settings(port: int, user: str, password: str) -> dict[str, str]:
    """The JDO settings both SchemaTool and the servers' metastore clients use."""
    return {
        "javax.jdo.option.ConnectionURL": jdbc_url(port),
        "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
        "javax.jdo.option.ConnectionUserName": user,
        "javax.jdo.option.ConnectionPassword": password,
        # Hive's own default: SchemaTool must name the tables and columns as the servers will look for them.
        "datanucleus.identifierFactory": "datanucleus1",
    }


def create_schema(root: Path, *, port: int, user: str, password: str) -> None:
    folder = root / "metastore"
    folder.mkdir(parents=True, exist_ok=True)
    jars = spark_home() / "jars"
    (metastore_jar,) = jars.glob("hive-metastore-*.jar")
    with zipfile.ZipFile(metastore_jar) as jar:
        mapping = Path(jar.extract("package.jdo", folder))
    properties = folder / "datanucleus.properties"
    properties.touch(mode=0o600)
    properties.write_text(
        "".join(f"{key}={value}\n" for key, value in connection_settings(port, user, password).items())
    )
    log = root / "logs" / "schematool.log"
    java = shutil.which("java") or "java"
    with log.open("wb") as output:
        done = subprocess.run(
            [java, "-Xmx256m", "-cp", f"{jars}/*:{POSTGRESQL_JAR}", "org.datanucleus.store.schema.SchemaTool"]
            + ["-create", "-api", "JDO", "-props", str(properties), str(mapping)],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=SCHEMA_TIMEOUT_SECONDS,
        )
    if done.returncode != 0 or "completed successfully" not in log.read_text():
        raise RuntimeError(f"the metastore schema was not created (exit {done.returncode}), see {log}")
