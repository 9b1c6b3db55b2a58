"""Fixtures: the real mlgate binary on 127.0.0.1 in front of a fake MLflow.

Each test gets its own gateway (its own config, htpasswd, logs in tmp_path)
and its own fake MLflow that records what reached it.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

from fake_mlflow import FakeMLflow

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("MLGATE_BIN", os.path.join(ROOT, "build", "mlgate"))

# bcrypt cost 5 is what `htpasswd -B` uses by default; apr1 is `htpasswd -c`'s default.
USERS = {"alice": "alice-secret", "bob": "bob s3cret:with colon"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def make_htpasswd(path, users=None):
    users = users if users is not None else USERS
    lines = []
    for i, (user, pw) in enumerate(sorted(users.items())):
        if i % 2 == 0:  # apr1, as `htpasswd -c` writes by default
            h = subprocess.run(["openssl", "passwd", "-apr1", pw], check=True, capture_output=True, text=True).stdout.strip()
            lines.append(f"{user}:{h}")
        else:  # bcrypt, as `htpasswd -B` writes
            out = subprocess.run(["htpasswd", "-nbB", "-C", "5", user, pw], check=True, capture_output=True, text=True).stdout.strip()
            lines.append(out)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


class Gateway:
    def __init__(self, tmp_path, upstream_port, extra_yaml="", users=None, listen_port=None, args=None,
                 workers=2, start=True, admins=("alice", "bob")):
        self.tmp = tmp_path
        self.port = listen_port or free_port()
        self.htpasswd = str(tmp_path / "htpasswd")
        if not os.path.exists(self.htpasswd):
            make_htpasswd(self.htpasswd, users)
        self.access_log = str(tmp_path / "access.log")
        self.error_log = str(tmp_path / "error.log")
        self.config = str(tmp_path / "mlgate.yaml")
        yaml = (
            f"listen: 127.0.0.1:{self.port}\n"
            f"workers: {workers}\n"
            f"upstream:\n  url: http://127.0.0.1:{upstream_port}\n"
        )
        yaml += extra_yaml
        if "auth:" not in extra_yaml:
            yaml += f"auth:\n  htpasswd: {self.htpasswd}\n"
        if "access_log:" not in extra_yaml:
            yaml += f"access_log:\n  path: {self.access_log}\n"
        self.admin_port = None
        if "admin:" not in extra_yaml:
            self.admin_port = free_port()
            yaml += f"admin:\n  listen: 127.0.0.1:{self.admin_port}\n"
        with open(self.config, "w") as f:
            f.write(yaml)
        self.args = args or []
        self.proc = None
        self.fsize_limit = None  # RLIMIT_FSIZE for the gateway (a full disk, for the audit log)
        self.wrap = []  # a command the gateway runs under (e.g. a private mount namespace)
        # The gateway-core tests act as administrators (every route passes);
        # the authorisation tests pass admins=() and grant what they test.
        with open(self.htpasswd) as f:
            present = {line.split(":", 1)[0] for line in f if ":" in line}
        for name in admins:
            if name in present:
                self.cli("user", "admin", name, "on")
        if start:
            self.start()

    def cli(self, *argv, input=None, check=True):
        """Runs an admin command on this gateway's store (same config, same cwd)."""
        store = [a for i, a in enumerate(self.args) if i and self.args[i - 1] == "--store"]
        cmd = [BIN] + list(argv) + ["-c", self.config] + (["--store", store[0]] if store else [])
        r = subprocess.run(cmd, cwd=str(self.tmp), capture_output=True, text=True, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {r.stderr}")
        return r

    def start(self):
        self.errf = open(self.error_log, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
        limit = self.fsize_limit

        def preexec():
            if limit:
                import resource
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        self.proc = subprocess.Popen(self.wrap + [BIN, "serve", "-c", self.config] + self.args, stdout=self.errf,
                                     stderr=self.errf, env=env, cwd=str(self.tmp), preexec_fn=preexec)
        if not wait_port(self.port):
            self.proc.kill()
            raise RuntimeError("mlgate did not start:\n" + self.errors())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def errors(self):
        with open(self.error_log, "rb") as f:
            return f.read().decode(errors="replace")

    def access_lines(self):
        try:
            with open(self.access_log) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def signal(self, sig):
        self.proc.send_signal(sig)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.errf.close()
        return rc


@pytest.fixture(scope="session")
def postgres():
    from pg import Postgres
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture
def fake():
    f = FakeMLflow()
    yield f
    f.stop()


@pytest.fixture
def store_kind(request):
    """The identity store gateways use: "sqlite" (the embedded default), or
    "postgresql" where a module parametrizes it (indirect)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def gateway_factory(tmp_path, fake, request, store_kind):
    made = []
    pg_uri = request.getfixturevalue("postgres").new_database() if store_kind == "postgresql" else None

    def make(**kw):
        kw.setdefault("upstream_port", fake.port)
        if pg_uri and "store:" not in kw.get("extra_yaml", ""):
            # one database per test, shared by every gateway the test starts
            kw["extra_yaml"] = kw.get("extra_yaml", "") + f'store: "{pg_uri}"\n'
        g = Gateway(tmp_path, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        rc = g.stop()
        errs = g.errors()
        # A sanitizer report or a crash fails the test that caused it.
        assert "ERROR: AddressSanitizer" not in errs, errs
        assert "runtime error:" not in errs, errs
        assert "LeakSanitizer" not in errs, errs
        assert rc == 0, f"mlgate exited with {rc}:\n{errs}"


@pytest.fixture
def gw(gateway_factory):
    return gateway_factory()


def raw_request(port, data, timeout=5.0, read_until_close=True, host="127.0.0.1"):
    """Sends raw bytes, returns everything the gateway sent until it closed
    (or the timeout)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if not read_until_close:
                break
        return b"".join(chunks)
    finally:
        s.close()


def read_until_close(sock):
    """Everything the peer sends until it closes (or the socket times out)."""
    data = b""
    while True:
        try:
            b = sock.recv(4096)
        except OSError:
            break
        if not b:
            break
        data += b
    return data
