"""Basic authentication from htpasswd: what the client sees and what reaches MLflow."""
import base64
import json
import os
import signal
import subprocess
import threading
import time

import requests

from conftest import BIN, USERS, raw_request

API = "/version"  # echoed by the fake MLflow; open to every authenticated user


def test_no_credentials_401_json_and_nothing_forwarded(gw, fake):
    r = requests.get(gw.url + API)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="mlflow", charset="UTF-8"'
    body = r.json()
    assert body["error_code"] == "UNAUTHENTICATED"
    assert body["request_id"] == r.headers["X-Request-Id"]
    assert fake.seen() == []


def test_wrong_password_and_unknown_user_401(gw, fake):
    for user, pw in [("alice", "nope"), ("bob", "alice-secret"), ("mallory", "x"), ("alice", "")]:
        r = requests.get(gw.url + API, auth=(user, pw))
        assert r.status_code == 401, (user, pw)
        assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert fake.seen() == []
    assert 'authentication failed for user "mallory"' in gw.errors()


def test_right_credentials_apr1_and_bcrypt(gw, fake):
    with open(gw.htpasswd) as f:
        content = f.read()
    assert "alice:$apr1$" in content and "bob:$2y$05$" in content
    for user, pw in USERS.items():
        for _ in range(2):  # second time from the verified-credential cache
            r = requests.get(gw.url + API, auth=(user, pw))
            assert r.status_code == 200, r.text
            assert r.json()["user"] == user
    seen = fake.seen()
    assert len(seen) == 4
    for rec in seen:
        assert rec.header("Authorization") is None  # not forwarded by default
        assert rec.header_all("X-Forwarded-User") in (["alice"], ["bob"])


def test_identity_headers_from_the_client_are_removed(gw, fake):
    r = requests.get(gw.url + API, auth=("alice", USERS["alice"]),
                     headers={"X-Forwarded-User": "admin", "X_Forwarded_User": "admin"})
    assert r.status_code == 200
    rec = fake.seen()[0]
    assert rec.header_all("X-Forwarded-User") == ["alice"]
    assert rec.header("X_Forwarded_User") is None
    # on a public path no identity is asserted at all
    r = requests.get(gw.url + "/health", headers={"X-Forwarded-User": "admin"})
    assert r.status_code == 200
    assert fake.seen()[1].header("X-Forwarded-User") is None


def test_public_paths_and_non_canonical_spellings(gw, fake):
    assert requests.get(gw.url + "/health").status_code == 200
    assert requests.get(gw.url + "/static-files/app.js").status_code == 200
    for p in ["/static-files/../api/2.0/mlflow/experiments/search", "/static-files/%2e%2e/api/2.0/x",
              "/health/", "/healthz", "/static-files//x", "/"]:
        resp = raw_request(gw.port, f"GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert resp.startswith(b"HTTP/1.1 401 "), (p, resp[:80])
    assert [r.path for r in fake.seen()] == ["/health", "/static-files/app.js"]


def test_malformed_basic_header(gw, fake):
    for value in ["Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Bearer abc"]:
        r = requests.get(gw.url + API, headers={"Authorization": value})
        assert r.status_code == 401
    assert fake.seen() == []


def test_forward_authorization_when_configured(gateway_factory, fake, tmp_path):
    g = gateway_factory(extra_yaml=f"auth:\n  htpasswd: {tmp_path}/htpasswd\n  forward_authorization: true\n"
                                   f"  user_header: X-Remote-User\n")
    r = requests.get(g.url + API, auth=("alice", USERS["alice"]))
    assert r.status_code == 200
    rec = fake.seen()[0]
    assert rec.header("Authorization").startswith("Basic ")
    assert rec.header("X-Remote-User") == "alice"
    assert rec.header("X-Forwarded-User") is None


def test_credentials_never_logged(gw, fake):
    requests.get(gw.url + API, auth=("alice", USERS["alice"]))
    requests.get(gw.url + API, auth=("alice", "wrong-pass-123"))
    time.sleep(0.2)
    logs = open(gw.access_log).read() + gw.errors()
    assert USERS["alice"] not in logs
    assert "wrong-pass-123" not in logs
    assert base64.b64encode(b"alice:" + USERS["alice"].encode()).decode() not in logs


def test_htpasswd_change_is_picked_up_without_restart(gateway_factory, fake):
    # polling with a user that does not exist yet is what a lockout counts: off here
    gw = gateway_factory(extra_yaml="lockout:\n  max_failures: 0\n  ip_max_failures: 0\n")
    r = requests.get(gw.url + API, auth=("carol", "carol-pw"))
    assert r.status_code == 401
    subprocess.run([BIN, "passwd", gw.htpasswd, "carol", "--stdin"], input="carol-pw\n", text=True, check=True,
                   capture_output=True)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = requests.get(gw.url + API, auth=("carol", "carol-pw"))
        if r.status_code == 200:
            break
        time.sleep(0.2)
    assert r.status_code == 200
    assert "reloading (htpasswd file changed)" in gw.errors()
    # removing a user takes effect the same way, cache or not
    with open(gw.htpasswd) as f:
        lines = [l for l in f if not l.startswith("carol:")]
    with open(gw.htpasswd + ".new", "w") as f:
        f.writelines(lines)
    os.rename(gw.htpasswd + ".new", gw.htpasswd)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = requests.get(gw.url + API, auth=("carol", "carol-pw"))
        if r.status_code == 401:
            break
        time.sleep(0.2)
    assert r.status_code == 401


def test_sighup_adds_user_while_download_in_flight(gw, fake):
    size = 256 * 1024 * 1024
    result = {}

    def download():
        r = requests.get(gw.url + f"/api/2.0/mlflow-artifacts/artifacts/1/big?size={size}",
                         auth=("alice", USERS["alice"]), stream=True)
        n = 0
        for piece in r.iter_content(1 << 20):
            n += len(piece)
            if n == (1 << 20):
                result["started"] = True
                time.sleep(0.5)  # keep it in flight across the reload
        result["status"] = r.status_code
        result["n"] = n

    t = threading.Thread(target=download)
    t.start()
    deadline = time.time() + 10
    while "started" not in result and time.time() < deadline:
        time.sleep(0.01)
    assert result.get("started")
    subprocess.run([BIN, "passwd", gw.htpasswd, "dave", "--stdin"], input="dave-pw\n", text=True, check=True,
                   capture_output=True)
    gw.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = requests.get(gw.url + API, auth=("dave", "dave-pw"))
        if r.status_code == 200:
            break
        time.sleep(0.1)
    assert r.status_code == 200
    t.join(60)
    assert result["status"] == 200
    assert result["n"] == size


def test_refuses_plaintext_and_des_entries(gateway_factory, fake, tmp_path):
    with open(tmp_path / "htpasswd", "w") as f:
        f.write("plain:secret8\ndes:DPwJjZ259Smtc\n")
    subprocess.run([BIN, "passwd", str(tmp_path / "htpasswd"), "ok", "--stdin"], input="ok-pw\n", text=True,
                   check=True, capture_output=True)
    g = gateway_factory()
    assert requests.get(g.url + API, auth=("plain", "secret8")).status_code == 401
    assert requests.get(g.url + API, auth=("des", "secret7")).status_code == 401
    assert requests.get(g.url + API, auth=("ok", "ok-pw")).status_code == 200
    errs = g.errors()
    assert 'user "plain" refused' in errs and 'user "des" refused' in errs


def test_cached_password_in_steady_use_is_verified_again_in_the_background(gateway_factory, fake, tmp_path):
    """A cached password in use near its expiry is verified again off the
    request path: over two and a half TTLs of steady use only the first
    request waits for the hash (one cache miss), while the verification
    (a "Login" security event each) is repeated. A refresh that fails (the
    user was locked out meanwhile) does not extend the entry: it expires
    at its TTL as before."""
    ttl = 2.0
    g = gateway_factory(extra_yaml=f"auth:\n  htpasswd: {tmp_path}/htpasswd\n  cache_ttl: {ttl:g}s\n"
                                   "lockout:\n  max_failures: 3\n  ip_max_failures: 0\n  duration: 60s\n")

    def misses():
        r = requests.get(f"http://127.0.0.1:{g.admin_port}/metrics")
        line = next(l for l in r.text.splitlines() if l.startswith("mlgate_credential_cache_misses_total "))
        return float(line.split()[1])

    def logins(action):
        time.sleep(0.3)
        with open(tmp_path / "var" / "audit.log") as f:
            recs = [json.loads(line) for line in f]
        return sum(1 for r in recs if r.get("action") == action and r.get("user") == "alice")

    alice = ("alice", USERS["alice"])
    m0 = misses()
    s = requests.Session()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.5 * ttl:
        assert s.get(g.url + API, auth=alice).status_code == 200
        time.sleep(0.05)
    assert misses() - m0 == 1  # the first request only: every later one was a hit
    assert logins("Login") >= 3  # the first, then refreshes about every 1.5 s

    # a refresh refused by a lockout leaves the entry to expire
    for _ in range(3):
        assert requests.get(g.url + API, auth=("alice", "wrong")).status_code == 401
    t1 = time.monotonic()
    codes = []
    while time.monotonic() - t1 < ttl + 1.5:
        codes.append(s.get(g.url + API, auth=alice).status_code)
        time.sleep(0.05)
    assert codes[0] == 200 and codes[-1] == 429, codes
    assert set(codes) == {200, 429} and codes.index(429) == len(codes) - codes[::-1].index(200)  # 200s, then 429s
