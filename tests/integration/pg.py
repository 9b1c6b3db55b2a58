"""A real PostgreSQL (Debian's postgresql package) started for the test
session in a temporary directory, on a free loopback port, with trust
authentication on 127.0.0.1 only. Each test gets its own database."""
import glob
import os
import shutil
import subprocess
import tempfile
import uuid

from conftest import free_port


def _bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not dirs:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    return dirs[-1]


def _as_postgres(cmd, **kw):
    if os.geteuid() == 0:  # initdb refuses to run as root
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


class Postgres:
    def __init__(self):
        self.bin = _bindir()
        self.dir = tempfile.mkdtemp(prefix="mlgate-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        _as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                      "-E", "UTF8"], cwd=self.dir)
        _as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.dir, "log"), "-o",
                      f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                      f"-c full_page_writes=off -c max_connections=200", "start"], cwd=self.dir)

    def uri(self, db="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self):
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql("postgres", f"CREATE DATABASE {name}")
        return self.uri(name)

    def psql(self, db_or_uri, sql):
        uri = db_or_uri if db_or_uri.startswith("postgresql://") else self.uri(db_or_uri)
        out = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", uri, "-c", sql],
                             capture_output=True, text=True, check=True)
        return [l.split("|") for l in out.stdout.splitlines() if l]

    def stop(self):
        try:
            _as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"], cwd=self.dir)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
