"""Active defence and monitoring: IP rules per path prefix (IPv4 and IPv6)
checked before authentication, X-Forwarded-For believed only from trusted
proxies, brute-force lockout by user and by address with back-off and reset
(tokens keep working; counters shared by instances on PostgreSQL), rate
limits by user and address per route family, and the admin listener's
/metrics, /healthz and /readyz."""
import json
import re
import socket
import subprocess
import time

import pytest
import requests

from conftest import BIN, USERS, Gateway, free_port, wait_port
from test_authz import until

ALICE = ("alice", USERS["alice"])
BOB = ("bob", USERS["bob"])
API = "/api/2.0/mlflow"


def req(port, path, src="127.0.0.1", host="127.0.0.1", auth=None, headers=None, method="GET"):
    """One request from a chosen loopback source address; returns (status, headers, body)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((host, port))
    h = {"Host": "gw", "Connection": "close"}
    if auth:
        import base64
        h["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    h.update(headers or {})
    data = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    s.sendall(data.encode())
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return status, hdrs, body


def audit_records(g):
    time.sleep(0.3)
    with open(g.tmp / "var" / "audit.log") as f:
        return [json.loads(line) for line in f]


# --- IP rules ---------------------------------------------------------------

RULES = """network:
  ip_rules:
    - allow 127.0.0.1
    - allow 127.0.0.3
    - allow ::1
    - deny all
    - /api/2.0/mlflow/registered-models/ allow 127.0.0.3
    - /api/2.0/mlflow/registered-models/ deny all
"""


def with_ipv6_listener(g):
    """Restarts g with a second listener on ::1 (same config, same rules); returns its port."""
    v6 = free_port()
    cfg = open(g.config).read().replace(f"listen: 127.0.0.1:{g.port}\n",
                                        f"listen:\n  - 127.0.0.1:{g.port}\n  - \"[::1]:{v6}\"\n")
    open(g.config, "w").write(cfg)
    g.stop()
    g.start()
    assert wait_port(v6, host="::1")
    return v6


def test_ip_rules_per_prefix_v4_and_v6(gateway_factory, fake):
    g = gateway_factory(extra_yaml=RULES)
    v6 = with_ipv6_listener(g)
    exp, models = API + "/experiments/search?max_results=1", API + "/registered-models/search?max_results=1"
    assert req(g.port, exp, "127.0.0.1", auth=ALICE)[0] == 200
    assert req(g.port, models, "127.0.0.1", auth=ALICE)[0] == 403      # the longer prefix's rules
    assert req(g.port, models, "127.0.0.3", auth=ALICE)[0] == 200
    assert req(g.port, exp, "127.0.0.3", auth=ALICE)[0] == 200
    before = len(fake.seen())
    st, _, body = req(g.port, exp, "127.0.0.2", auth=ALICE)
    assert st == 403 and json.loads(body)["error_code"] == "PERMISSION_DENIED"
    st, _, _ = req(g.port, exp, "127.0.0.2")                            # before authentication: 403, not 401
    assert st == 403
    assert req(g.port, "/health", "127.0.0.2")[0] == 403
    assert len(fake.seen()) == before                                    # nothing reached MLflow
    assert req(v6, exp, "::1", host="::1", auth=ALICE)[0] == 200        # IPv6 allowed globally
    assert req(v6, models, "::1", host="::1", auth=ALICE)[0] == 403     # not for models
    assert "network.ip_rules" in g.errors() and "127.0.0.2" in g.errors()


def test_ip_rules_deny_ipv6(gateway_factory, fake):
    g = gateway_factory(extra_yaml="network:\n  ip_rules: [\"deny ::1\", \"allow all\"]\n")
    v6 = with_ipv6_listener(g)
    assert req(v6, "/version", "::1", host="::1", auth=ALICE)[0] == 403
    assert req(g.port, "/version", "127.0.0.1", auth=ALICE)[0] == 200


def test_bad_ip_rules_are_config_errors(tmp_path):
    cfg = tmp_path / "c.yaml"
    for bad, msg in (("network:\n  ip_rules: [\"allow 10.1.2.3/8\"]\n", "host bits"),
                     ("network:\n  ip_rules: [\"permit all\"]\n", "allow|deny"),
                     ("network:\n  trusted_proxies: [all]\n", "every client"),
                     ("rate_limits: [\"user all 0/s\"]\n", "COUNT"),
                     ("lockout:\n  exempt: [\"10.0.0.0/33\"]\n", "prefix length"),
                     ("admin:\n  listen: nowhere\n", "admin.listen")):
        cfg.write_text(bad)
        out = subprocess.run([BIN, "check-config", "-c", str(cfg)], capture_output=True, text=True)
        assert out.returncode != 0 and msg in out.stderr, (bad, out.stderr)


# --- trusted proxies ----------------------------------------------------------

def test_forwarded_for_only_from_trusted_proxies(gateway_factory, fake):
    g = gateway_factory(extra_yaml="network:\n  trusted_proxies: [127.0.0.1]\n  ip_rules: [\"deny 203.0.113.0/24\"]\n")
    xff = {"X-Forwarded-For": "203.0.113.7"}
    assert req(g.port, "/version", "127.0.0.1", auth=ALICE, headers=xff)[0] == 403   # via the proxy: believed
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE, headers=xff)[0] == 200   # spoofed: ignored
    assert fake.seen()[-1].header("X-Forwarded-For") == "127.0.0.2"
    # the proxy's own hop appended after the client's spoofed entry: the rightmost untrusted wins
    st, _, _ = req(g.port, "/version", "127.0.0.1", auth=ALICE,
                   headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.4"})
    assert st == 200
    assert fake.seen()[-1].header("X-Forwarded-For") == "198.51.100.4"
    time.sleep(0.3)
    lines = g.access_lines()
    assert lines[-1].startswith("198.51.100.4 ") and lines[-2].startswith("127.0.0.2 ")


# --- lockout -----------------------------------------------------------------

LOCK = "lockout:\n  max_failures: 3\n  ip_max_failures: 0\n  window: 60s\n  duration: 2s\n  max_duration: 8s\n"


def test_user_lockout_backoff_reset_and_tokens(gateway_factory, fake):
    g = gateway_factory(extra_yaml=LOCK)
    tok = g.cli("token", "create", "--user", "alice", "--name", "ci").stdout.strip()
    wrong = ("alice", "not-the-password")
    for _ in range(3):
        assert requests.get(g.url + "/version", auth=wrong).status_code == 401
    before = len(fake.seen())
    r = requests.get(g.url + "/version", auth=ALICE)                 # even the right password waits
    assert r.status_code == 429 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert 1 <= int(r.headers["Retry-After"]) <= 2
    assert len(fake.seen()) == before
    # a token keeps working while the password is locked
    r = requests.get(g.url + "/version", headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200 and r.json()["user"] == "alice"
    assert requests.get(g.url + "/version", auth=BOB).status_code == 200  # other users unaffected
    time.sleep(2.1)
    get = lambda auth: requests.get(g.url + "/version", auth=auth).status_code
    assert [get(("alice", "x1")), get(("alice", "x2"))] == [401, 401]
    assert get(ALICE) == 200                      # a verified login resets the count ...
    assert [get(("alice", "x3")), get(("alice", "x4"))] == [401, 401]   # ... so these do not lock
    assert get(("alice", "x5")) == 401            # the third since the reset locks
    r = requests.get(g.url + "/version", auth=("alice", "x6"))
    # 2 s again: the success forgot the earlier lockout too (back-off is for guessing without success)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 2
    assert get(ALICE) == 200                      # a login verified before keeps working (cache)
    recs = [r for r in audit_records(g) if r["action"] == "Lockout"]
    assert recs and recs[0]["user"] == "alice" and recs[0]["outcome"]["status"] == 429
    assert recs[0]["resource"]["by"] == "user" and recs[0]["resource"]["seconds"] == 2
    first_use = [r for r in audit_records(g) if r["action"] == "TokenFirstUse"]
    assert len(first_use) == 1 and first_use[0]["user"] == "alice" and first_use[0]["resource"]["token_id"] == tok[4:20]
    assert tok[21:] not in open(g.tmp / "var" / "audit.log").read()
    assert "lockout: user alice locked for 2s" in g.errors()


def test_lockout_backoff_doubles(gateway_factory, fake):
    g = gateway_factory(extra_yaml=LOCK, users={"carol": "carol-pw"}, admins=())
    retry = []
    for _ in range(3):
        for i in range(3):
            assert requests.get(g.url + "/version", auth=("carol", f"bad{i}")).status_code == 401
        r = requests.get(g.url + "/version", auth=("carol", "carol-pw"))
        assert r.status_code == 429
        retry.append(int(r.headers["Retry-After"]))
        time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert retry == [2, 4, 8], retry
    rows = g.cli("lockout", "list", "--all").stdout
    assert "user:carol" in rows
    assert g.cli("lockout", "clear", "user:carol").returncode == 0
    assert "user:carol" not in g.cli("lockout", "list", "--all").stdout


def test_address_lockout_spares_other_addresses_and_tokens(gateway_factory, fake):
    g = gateway_factory(extra_yaml="lockout:\n  max_failures: 0\n  ip_max_failures: 4\n  duration: 5s\n"
                                   "  exempt: [127.0.0.4]\n")
    tok = g.cli("token", "create", "--user", "bob", "--name", "ci").stdout.strip()
    for i in range(4):  # password spraying: many users from one address
        assert req(g.port, "/version", "127.0.0.2", auth=(f"user{i}", "pw"))[0] == 401
    st, h, body = req(g.port, "/version", "127.0.0.2", auth=ALICE)
    assert st == 429 and "address" in json.loads(body)["message"]
    assert req(g.port, "/version", "127.0.0.1", auth=ALICE)[0] == 200          # another address
    assert req(g.port, "/version", "127.0.0.2", headers={"Authorization": "Bearer " + tok})[0] == 200
    for i in range(8):  # an exempt address (the office NAT) is never locked by address
        req(g.port, "/version", "127.0.0.4", auth=(f"user{i}", "pw"))
    assert req(g.port, "/version", "127.0.0.4", auth=ALICE)[0] == 200
    recs = [r for r in audit_records(g) if r["action"] == "Lockout"]
    assert len(recs) == 1 and recs[0]["resource"]["by"] == "address" and recs[0]["ip"] == "127.0.0.2"


def test_address_lockout_behind_a_trusted_proxy(gateway_factory, fake):
    g = gateway_factory(extra_yaml="network:\n  trusted_proxies: [127.0.0.1]\n"
                                   "lockout:\n  max_failures: 0\n  ip_max_failures: 3\n")
    bad = {"X-Forwarded-For": "198.51.100.1"}
    for i in range(3):
        assert req(g.port, "/version", auth=(f"u{i}", "pw"), headers=bad)[0] == 401
    assert req(g.port, "/version", auth=ALICE, headers=bad)[0] == 429
    # the proxy itself and the other clients behind it are not locked
    assert req(g.port, "/version", auth=ALICE, headers={"X-Forwarded-For": "198.51.100.2"})[0] == 200
    assert req(g.port, "/version", auth=ALICE)[0] == 200


def test_lockout_shared_by_instances_on_postgres(postgres, fake, tmp_path):
    uri = postgres.new_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    yaml = f"store: \"{uri}\"\n" + LOCK
    gws = [Gateway(tmp_path / n, fake.port, extra_yaml=yaml) for n in ("a", "b")]
    try:
        a, b = gws
        assert requests.get(a.url + "/version", auth=("alice", "w1")).status_code == 401
        assert requests.get(b.url + "/version", auth=("alice", "w2")).status_code == 401
        assert requests.get(a.url + "/version", auth=("alice", "w3")).status_code == 401
        for g in gws:  # three failures spread over two instances lock alice on both
            assert requests.get(g.url + "/version", auth=ALICE).status_code == 429
        rows = postgres.psql(uri, "SELECT key, strikes FROM lockouts")
        assert rows == [["user:alice", "1"]]
    finally:
        for g in gws:
            assert g.stop() == 0, g.errors()


# --- rate limits ---------------------------------------------------------------

def test_rate_limits_by_user_and_family(gateway_factory, fake):
    g = gateway_factory(extra_yaml="rate_limits:\n  - user all 5/s burst 5\n  - user search 2/m\n")
    for _ in range(2):
        assert requests.get(g.url + API + "/experiments/search?max_results=1", auth=ALICE).status_code == 200
    r = requests.get(g.url + API + "/experiments/search?max_results=1", auth=ALICE)
    assert r.status_code == 429 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=ALICE).status_code == 200
    assert requests.get(g.url + API + "/experiments/search?max_results=1", auth=BOB).status_code == 200
    # the "all" bucket: 5 per second, bursts refused
    codes = [requests.get(g.url + "/version", auth=BOB).status_code for _ in range(12)]
    assert 429 in codes and codes[0] == 200
    time.sleep(1.1)
    assert requests.get(g.url + "/version", auth=BOB).status_code == 200
    assert "rate limited" in g.errors()


def test_rate_limits_by_address(gateway_factory, fake):
    g = gateway_factory(extra_yaml="network:\n  trusted_proxies: [127.0.0.1]\nrate_limits: [\"ip all 3/m\"]\n")
    c1 = {"X-Forwarded-For": "198.51.100.7"}
    assert [req(g.port, "/version", auth=ALICE, headers=c1)[0] for _ in range(4)] == [200, 200, 200, 429]
    # unauthenticated requests count too (before authentication)
    assert req(g.port, "/version", headers=c1)[0] == 429
    assert req(g.port, "/version", auth=ALICE, headers={"X-Forwarded-For": "198.51.100.8"})[0] == 200
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE, headers=c1)[0] == 200  # spoofing from elsewhere


# --- metrics and health --------------------------------------------------------

LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{' + LABEL + r'(?:,' + LABEL + r')*\})?$')


def scrape(g):
    r = requests.get(f"http://127.0.0.1:{g.admin_port}/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples, typed = {}, {}
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram")
            typed[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        series, value = line.rsplit(" ", 1)
        m = SAMPLE.match(series)
        assert m, f"not Prometheus text: {line!r}"
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in typed or base in typed, line
        samples[series] = float(value)  # +Inf and NaN parse too
    return samples


def test_metrics_move_with_traffic(gateway_factory, fake):
    g = gateway_factory(extra_yaml="rate_limits: [\"user graphql 1/m\"]\n")
    s0 = scrape(g)
    key = 'mlgate_requests_total{family="api_read",method="GET",status="200"}'
    for _ in range(7):
        assert requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=ALICE).status_code == 200
    requests.get(g.url + "/version", auth=("alice", "wrong"))
    requests.get(g.url + "/version")
    q = {"query": "query { mlflowGetExperiment(input: {experimentId: \"1\"}) { experiment { name } } }"}
    requests.post(g.url + "/graphql", json=q, auth=ALICE)
    assert requests.post(g.url + "/graphql", json=q, auth=ALICE).status_code == 429
    time.sleep(0.2)
    s1 = scrape(g)
    assert s1[key] - s0.get(key, 0) == 7
    assert s1['mlgate_auth_failures_total{reason="invalid_credentials"}'] - \
        s0['mlgate_auth_failures_total{reason="invalid_credentials"}'] == 1
    assert s1['mlgate_auth_failures_total{reason="missing"}'] - s0['mlgate_auth_failures_total{reason="missing"}'] == 1
    assert s1['mlgate_rate_limited_total{by="user",family="graphql"}'] == 1
    assert s1['mlgate_request_duration_seconds_count{family="api_read"}'] >= 7
    assert s1['mlgate_request_duration_seconds_bucket{family="api_read",le="+Inf"}'] == \
        s1['mlgate_request_duration_seconds_count{family="api_read"}']
    assert s1['mlgate_upstream_duration_seconds_count{family="api_read"}'] >= 7
    assert s1["mlgate_credential_cache_hits_total"] > s0["mlgate_credential_cache_hits_total"]
    assert s1["mlgate_upstream_connects_total"] + s1["mlgate_upstream_reuses_total"] >= 7
    assert s1["mlgate_connections_total"] > s0["mlgate_connections_total"]
    assert s1["mlgate_audit_log_up"] == 1 and s1["mlgate_workers"] == 2
    # between requests no MLflow connection is in use (the busy gauge does not drift)
    assert s1['mlgate_upstream_connections{state="busy"}'] == 0
    assert 'mlgate_upstream_connections{state="idle"}' in s1
    assert s1["mlgate_audit_write_seconds_count"] >= 1    # logins are audited


def test_health_endpoints(gateway_factory, fake):
    g = gateway_factory()
    base = f"http://127.0.0.1:{g.admin_port}"
    assert requests.get(base + "/healthz").json() == {"status": "alive"}
    r = requests.get(base + "/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready", r.text
    assert requests.post(base + "/metrics").status_code == 405
    assert requests.get(base + "/nope").status_code == 404
    fake.stop()
    r = requests.get(base + "/readyz")
    assert r.status_code == 503 and r.json()["checks"]["upstream"]["ok"] is False
    assert r.json()["checks"]["store"]["ok"] is True
    assert requests.get(base + "/healthz").status_code == 200   # alive while MLflow is down


def test_admin_listener_defaults_to_loopback(tmp_path):
    out = subprocess.run([BIN, "check-config", "--keys"], capture_output=True, text=True)
    assert "| `admin.listen` | `127.0.0.1:9180` |" in out.stdout


def test_rules_and_limits_change_on_reload(gateway_factory, fake):
    """SIGHUP re-reads network.ip_rules and rate_limits: requests after the
    reload are judged by the new ones; a bad edit keeps the old ones."""
    import signal
    g = gateway_factory(extra_yaml="network:\n  ip_rules: [\"deny 127.0.0.2\"]\n")
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE)[0] == 403
    assert req(g.port, "/version", "127.0.0.3", auth=ALICE)[0] == 200
    cfg = open(g.config).read()
    open(g.config, "w").write(cfg.replace('deny 127.0.0.2', 'deny 127.0.0.3') + "rate_limits: [\"user all 2/m\"]\n")
    g.signal(signal.SIGHUP)
    until(lambda: "reloaded" in g.errors())
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE)[0] == 200
    assert req(g.port, "/version", "127.0.0.3", auth=ALICE)[0] == 403
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE)[0] == 200
    assert req(g.port, "/version", "127.0.0.2", auth=ALICE)[0] == 429   # the new limit: two a minute
    # an edit that does not parse is refused; the running rules stay
    open(g.config, "w").write(cfg.replace('deny 127.0.0.2', 'deny 127.0.0.3/8'))
    g.signal(signal.SIGHUP)
    until(lambda: "reload failed" in g.errors())
    assert req(g.port, "/version", "127.0.0.3", auth=ALICE)[0] == 403
