"""Command-line behaviour: passwd, check-config, first start on the defaults."""
import os
import re
import signal
import stat
import subprocess
import time

import requests

from conftest import BIN, free_port, wait_port


def run(*args, **kw):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, **kw)


def test_passwd_writes_bcrypt_that_htpasswd_accepts(tmp_path):
    f = str(tmp_path / "h")
    out = run("passwd", "-c", f, "mlflow-user", "--stdin", input="pw one\n")
    assert out.returncode == 0, out.stderr
    out = run("passwd", f, "another-user", "--stdin", input="pw two\n")
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    content = open(f).read()
    assert re.fullmatch(r"mlflow-user:\$2y\$12\$\S{53}\nanother-user:\$2y\$12\$\S{53}\n", content), content
    assert subprocess.run(["htpasswd", "-vb", f, "mlflow-user", "pw one"], capture_output=True).returncode == 0
    assert subprocess.run(["htpasswd", "-vb", f, "another-user", "pw two"], capture_output=True).returncode == 0
    assert subprocess.run(["htpasswd", "-vb", f, "mlflow-user", "wrong"], capture_output=True).returncode != 0
    # changing a password replaces the line, keeps the others
    assert run("passwd", f, "mlflow-user", "--stdin", input="pw three\n").returncode == 0
    assert subprocess.run(["htpasswd", "-vb", f, "mlflow-user", "pw three"], capture_output=True).returncode == 0
    assert open(f).read().count("\n") == 2
    # bad input
    assert run("passwd", f, "bad:name", "--stdin", input="x\n").returncode == 2
    assert run("passwd", f, "u", "--stdin", input="\n").returncode == 1
    assert run("passwd", str(tmp_path / "missing"), "u", "--stdin", input="x\n").returncode == 1
    assert not [p for p in os.listdir(tmp_path) if ".tmp." in p]


def test_check_config(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("listen: 127.0.0.1:9999\nupstream: {url: 'http://127.0.0.1:5000', mount: /mlflow}\n")
    out = run("check-config", "-c", str(good))
    assert out.returncode == 0 and out.stdout.strip() == "configuration OK"
    bad = tmp_path / "bad.yaml"
    bad.write_text("listen: 127.0.0.1:9999\nupstream:\n  url: http://127.0.0.1:5000\n  timeout: 5s\n"
                   "timeouts:\n  header: later\n")
    out = run("check-config", "-c", str(bad))
    assert out.returncode != 0
    assert f"{bad}:4:3: unknown key \"upstream.timeout\"" in out.stderr
    assert f"{bad}:6:11: timeouts.header: must be a duration" in out.stderr
    out = run("check-config", "--upstream", "ftp://x")
    assert out.returncode != 0 and "upstream.url" in out.stderr
    out = run("check-config", "--keys")
    assert "| `upstream.mount` |" in out.stdout


def test_every_config_key_is_documented():
    keys = re.findall(r"^\| `([a-z_.]+)` \|", run("check-config", "--keys").stdout, re.M)
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "configuration.md")).read()
    missing = [k for k in keys if f"`{k}`" not in doc]
    assert keys and not missing, missing


def test_first_start_creates_admin(tmp_path, fake):
    port = free_port()
    p = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--upstream",
                          f"http://127.0.0.1:{fake.port}", "--access-log", "off"],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_port(port, 15)
        htp = tmp_path / "var" / "htpasswd"
        assert htp.exists()
        assert stat.S_IMODE(os.stat(htp).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "var").st_mode) == 0o700
        r = requests.get(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search")
        assert r.status_code == 401
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    m = re.search(r"admin password \(shown once, keep it\): (\S+)", err)
    assert m, err
    password = m.group(1)
    assert subprocess.run(["htpasswd", "-vb", str(htp), "admin", password], capture_output=True).returncode == 0
    # second start: the file exists, nothing is printed again
    p = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--upstream",
                          f"http://127.0.0.1:{fake.port}", "--access-log", "off"],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_port(port, 15)
        r = requests.get(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search", auth=("admin", password))
        assert r.status_code == 200
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    assert "admin password" not in err


def test_explicit_missing_htpasswd_is_an_error(tmp_path):
    out = run("serve", "--htpasswd", str(tmp_path / "nope"), "--listen", f"127.0.0.1:{free_port()}")
    assert out.returncode == 1
    assert "does not exist" in out.stderr and "mlgate passwd -c" in out.stderr


def test_usage():
    out = run()
    assert out.returncode == 2 and "serve" in out.stderr
    out = run("frobnicate")
    assert out.returncode == 2 and "unknown command" in out.stderr
    out = run("serve", "--bogus")
    assert out.returncode == 2
