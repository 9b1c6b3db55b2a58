"""TLS termination: handshake with curl, protocol floor, redirect listener,
key-file permissions, certificate reload on SIGHUP."""
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import USERS, free_port, wait_port

AUTH = f"alice:{USERS['alice']}"


def make_cert(d, cn="localhost"):
    cert, key = str(d / f"{cn}.crt"), str(d / f"{cn}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={cn}", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def curl(*args):
    return subprocess.run(["curl", "-s", "-S", "--max-time", "10", *args], capture_output=True, text=True)


@pytest.fixture
def tls_gw(gateway_factory, tmp_path):
    cert, key = make_cert(tmp_path)
    tls_port, redirect_port = free_port(), free_port()
    g = gateway_factory(extra_yaml=(
        f"tls:\n  hsts_max_age: 31536000\n"), args=[])
    g.stop()
    # rewrite listen with a TLS and a redirect listener
    with open(g.config) as f:
        yaml = f.read().replace(f"listen: 127.0.0.1:{g.port}\n",
                                f"listen:\n  - address: 127.0.0.1:{tls_port}\n    tls: {{cert: {cert}, key: {key}}}\n"
                                f"  - address: 127.0.0.1:{redirect_port}\n    redirect_https: true\n")
    with open(g.config, "w") as f:
        f.write(yaml)
    g.port = tls_port
    g.start()
    wait_port(redirect_port)
    g.redirect_port = redirect_port
    g.cert = cert
    g.key = key
    return g


def test_tls_handshake_and_proxy(tls_gw, fake):
    out = curl("--cacert", tls_gw.cert, "-u", AUTH, "-D", "-",
               f"https://localhost:{tls_gw.port}/api/2.0/mlflow/experiments/search")
    assert out.returncode == 0, out.stderr
    assert "HTTP/1.1 200" in out.stdout
    assert "strict-transport-security: max-age=31536000" in out.stdout.lower()
    rec = fake.seen()[0]
    assert rec.header("X-Forwarded-Proto") == "https"
    assert rec.header("X-Forwarded-User") == "alice"
    # TLS 1.3 and 1.2 work; 1.1 is refused
    assert curl("--cacert", tls_gw.cert, "--tlsv1.3", "-o", "/dev/null", "-w", "%{http_code}",
                f"https://localhost:{tls_gw.port}/health").stdout == "200"
    assert curl("--cacert", tls_gw.cert, "--tlsv1.2", "--tls-max", "1.2", "-o", "/dev/null", "-w", "%{http_code}",
                f"https://localhost:{tls_gw.port}/health").stdout == "200"
    old = curl("--cacert", tls_gw.cert, "--tlsv1.1", "--tls-max", "1.1", f"https://localhost:{tls_gw.port}/health")
    assert old.returncode != 0
    # a non-AEAD suite is refused
    cbc = curl("--cacert", tls_gw.cert, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA",
               f"https://localhost:{tls_gw.port}/health")
    assert cbc.returncode != 0


def test_tls_large_download(tls_gw, fake):
    size = 64 * 1024 * 1024
    out = subprocess.run(["curl", "-s", "--cacert", tls_gw.cert, "-u", AUTH,
                          f"https://localhost:{tls_gw.port}/api/2.0/mlflow-artifacts/artifacts/1/f?size={size}"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0
    assert len(out.stdout) == size
    from fake_mlflow import pattern_bytes
    assert out.stdout == b"".join(pattern_bytes(size))


def test_redirect_listener(tls_gw, fake):
    r = requests.get(f"http://localhost:{tls_gw.redirect_port}/api/2.0/mlflow/x?y=1", allow_redirects=False)
    assert r.status_code == 301
    # the https port is the TLS listener's (not 443 here)
    assert r.headers["Location"] == f"https://localhost:{tls_gw.port}/api/2.0/mlflow/x?y=1"
    assert fake.seen() == []


def test_world_readable_key_refused(tmp_path, fake):
    from conftest import BIN, make_htpasswd
    cert, key = make_cert(tmp_path)
    os.chmod(key, 0o644)
    make_htpasswd(str(tmp_path / "h"))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"listen:\n  - address: 127.0.0.1:{free_port()}\n    tls: {{cert: {cert}, key: {key}}}\n"
                   f"auth: {{htpasswd: {tmp_path}/h}}\n")
    out = subprocess.run([BIN, "serve", "-c", str(cfg)], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert f"chmod 600 {key}" in out.stderr
    assert "readable by group or others" in out.stderr


def test_certificate_reload_on_sighup(tls_gw, fake, tmp_path):
    def serial():
        out = subprocess.run(f"openssl s_client -connect 127.0.0.1:{tls_gw.port} -servername localhost "
                             f"</dev/null 2>/dev/null | openssl x509 -noout -serial", shell=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    before = serial()
    assert before.startswith("serial=")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    cert2, key2 = make_cert(new_dir)
    os.replace(cert2, tls_gw.cert)
    os.replace(key2, tls_gw.key)
    tls_gw.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and serial() == before:
        time.sleep(0.2)
    assert serial() != before
