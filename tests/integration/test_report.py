"""`mlgate report` on generated access logs of every supported format
(mlgate text and JSON, nginx combined, the seed's mlflow_access, nginx JSON;
plain, gzip, stdin), checked against counts this test computes itself; a
large file read by several threads gives the same numbers; the HTML page
opens in headless Chromium without console errors (screenshot kept); a real
gateway's own access log reads back."""
import datetime
import gzip
import json
import math
import os
import random
import shutil
import subprocess
import time

import pytest
import requests

from conftest import BIN, ROOT, USERS

ROUTES = [  # (method, path, query, route key, family)
    ("GET", "/api/2.0/mlflow/runs/get", "?run_id=r{n}", "GET /api/2.0/mlflow/runs/get", "api_read"),
    ("POST", "/api/2.0/mlflow/runs/log-metric", "", "POST /api/2.0/mlflow/runs/log-metric", "api_write"),
    ("POST", "/api/2.0/mlflow/runs/search", "", "POST /api/2.0/mlflow/runs/search", "search"),
    ("GET", "/ajax-api/2.0/mlflow/experiments/get", "?experiment_id={n}", "GET /ajax-api/2.0/mlflow/experiments/get",
     "api_read"),
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/{n}/run/model.pkl", "", "PUT /api/2.0/mlflow-artifacts/artifacts/",
     "artifact_write"),
    ("POST", "/graphql", "", "POST /graphql", "graphql"),
    ("GET", "/static-files/js/main.{n}.js", "", "GET /static-files/", "ui"),
]
ADDRS = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(40)] + ["2001:db8::7", "2001:db8::8"]
USERS_POOL = [f"user{i}" for i in range(30)]
STATUSES = [200] * 30 + [201, 204, 302, 400, 401, 401, 401, 403, 403, 404, 500, 502, 503, 504]
T0 = datetime.datetime(2026, 11, 20, 8, 0, 0, tzinfo=datetime.timezone.utc)


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def gen(n, seed=1):
    """n records (dicts) with everything a line can carry."""
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        m, path, q, key, fam = rnd.choice(ROUTES)
        st = rnd.choice(STATUSES)
        user = rnd.choice(USERS_POOL + ["-"] * 5)
        # a named user works from one address (stuffing and sharing come only from the two planted below)
        addr = ADDRS[USERS_POOL.index(user) % len(ADDRS)] if user != "-" else rnd.choice(ADDRS)
        if i % 97 == 0:  # a stuffing address: many names failing
            addr, st, user = "203.0.113.66", 401, f"victim{i % 13}"
        if i % 89 == 0:  # a shared account: one user, many addresses
            addr, st, user = f"198.51.100.{i % 7 + 1}", 200, "shared-bot"
        t = T0 + datetime.timedelta(seconds=i * 7 + rnd.randint(0, 5))
        recs.append(dict(addr=addr, user=user, time=t, method=m, target=path.format(n=i) + q.format(n=i),
                         key=key, family=fam, status=st, bytes=rnd.randint(0, 99999),
                         rt=rnd.randint(0, 3000) if rnd.random() < 0.97 else rnd.randint(10000, 20000),
                         urt=None if st in (401, 403) else rnd.randint(0, 2000),
                         ua='python-requests/2.28 "quoted"' if i % 5 == 0 else "mlflow-python-client/2.19",
                         fmt=["combined", "mlflow_access", "mlgate", "json", "nginx_json"][i % 5]))
    return recs


def line(r):
    tl = r["time"].strftime("%d/%b/%Y:%H:%M:%S +0000")
    if r["fmt"] == "json":
        return json.dumps({"time": r["time"].strftime("%Y-%m-%dT%H:%M:%SZ"), "remote_addr": r["addr"],
                           "user": None if r["user"] == "-" else r["user"], "method": r["method"],
                           "uri": r["target"], "protocol": "HTTP/1.1", "status": r["status"],
                           "body_bytes_sent": r["bytes"], "referer": None, "user_agent": r["ua"],
                           "request_time": r["rt"] / 1000,
                           "upstream_response_time": None if r["urt"] is None else r["urt"] / 1000,
                           "request_id": "ab" * 16})
    if r["fmt"] == "nginx_json":
        return json.dumps({"time_local": tl, "remote_addr": r["addr"], "remote_user": r["user"],
                           "request": f'{r["method"]} {r["target"]} HTTP/1.1', "status": str(r["status"]),
                           "body_bytes_sent": str(r["bytes"]), "request_time": "%.3f" % (r["rt"] / 1000),
                           "upstream_response_time": "-" if r["urt"] is None else "%.3f" % (r["urt"] / 1000)})
    base = (f'{r["addr"]} - {r["user"]} [{tl}] "{r["method"]} {r["target"]} HTTP/1.1" {r["status"]} {r["bytes"]} '
            f'"-" "{esc(r["ua"])}"')
    if r["fmt"] == "combined":
        return base
    up = "-" if r["urt"] is None else "%.3f" % (r["urt"] / 1000)
    if r["fmt"] == "mlflow_access":
        if r["urt"] is not None and r["urt"] > 1500:  # nginx retried: two upstream times
            up = "%.3f, %.3f" % (r["urt"] / 2000, r["urt"] / 2000)
        return base + " %.3f %s" % (r["rt"] / 1000, up)
    return base + " %.3f %s %s" % (r["rt"] / 1000, up, "0123456789abcdef" * 2)


def expected(recs, top=1000):
    e = {"requests": len(recs), "status": {}, "by_addr": {}, "by_user": {}, "routes": {}, "lat": {}}
    stuff, share = {}, {}
    for r in recs:
        st = r["status"]
        e["status"][str(st)] = e["status"].get(str(st), 0) + 1
        if st in (401, 403):
            a = e["by_addr"].setdefault(r["addr"], [0, 0])
            a[st == 403] += 1
            if r["user"] != "-":
                u = e["by_user"].setdefault(r["user"], [0, 0])
                u[st == 403] += 1
        if st == 401 and r["user"] != "-":
            stuff.setdefault(r["addr"], [set(), 0])
            stuff[r["addr"]][0].add(r["user"])
            stuff[r["addr"]][1] += 1
        elif st < 400 and r["user"] != "-":
            share.setdefault(r["user"], [set(), 0])
            share[r["user"]][0].add(r["addr"])
            share[r["user"]][1] += 1
        e["routes"][r["key"]] = e["routes"].get(r["key"], 0) + 1
        if r["fmt"] != "combined":
            e["lat"].setdefault(r["family"], []).append(r["rt"])
    e["stuffing"] = {a: (len(v[0]), v[1]) for a, v in stuff.items() if len(v[0]) >= 5}
    e["sharing"] = {u: (len(v[0]), v[1]) for u, v in share.items() if len(v[0]) >= 3}
    pct = {}
    for fam, v in e["lat"].items():
        v.sort()

        def p(q):
            x = v[max(1, math.ceil(len(v) * q)) - 1]
            if x >= 10000:  # coarse buckets past 10 s: their lower bound
                lo = 10000
                while x >= lo * 2:
                    lo *= 2
                return lo
            return x
        pct[fam] = {"count": len(v), "p50": p(0.5), "p95": p(0.95), "p99": p(0.99), "max": v[-1]}
    e["lat"] = pct
    return e


def run_report(*args, input=None):
    r = subprocess.run([BIN, "report", *args], capture_output=True, input=input, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    return r


def check(got, e, mult=1):
    assert got["requests"] == e["requests"] * mult
    assert got["status"] == {k: v * mult for k, v in e["status"].items()}
    assert {x["address"]: [x["401"], x["403"]] for x in got["auth_failures_by_address"]} == \
        {k: [v[0] * mult, v[1] * mult] for k, v in e["by_addr"].items()}
    assert {x["user"]: [x["401"], x["403"]] for x in got["auth_failures_by_user"]} == \
        {k: [v[0] * mult, v[1] * mult] for k, v in e["by_user"].items()}
    assert {x["route"]: x["requests"] for x in got["top_routes"]} == {k: v * mult for k, v in e["routes"].items()}
    assert {x["address"]: (x["users"], x["failures"]) for x in got["credential_stuffing"]} == \
        {k: (v[0], v[1] * mult) for k, v in e["stuffing"].items()}
    assert {x["user"]: (x["addresses"], x["requests"]) for x in got["credential_sharing"]} == \
        {k: (v[0], v[1] * mult) for k, v in e["sharing"].items()}
    if mult == 1:
        assert got["latency_ms"] == e["lat"]
    assert got["upstream_errors"] == {s: e["status"].get(s, 0) * mult for s in ("502", "503", "504")}
    assert got["tables_full"] == [] and got["skipped_lines"] == 0


def test_every_format_counts_exactly(tmp_path):
    recs = gen(6000)
    e = expected(recs)
    assert len(e["stuffing"]) == 1 and len(e["sharing"]) >= 1 and {r["fmt"] for r in recs} >= {"json", "combined"}
    plain = tmp_path / "access.log"
    plain.write_text("".join(line(r) + "\n" for r in recs))
    got = json.loads(run_report("--json", "--top", "1000", str(plain)).stdout)
    check(got, e)
    assert got["formats"] == {"combined": 1200, "mlflow_access": 1200, "mlgate": 1200, "json": 2400}
    assert sum(got["over_time"]["requests"]) == 6000
    assert sum(got["over_time"]["auth_failures"]) == sum(v[0] + v[1] for v in e["by_addr"].values())
    # the same lines split over a gzip file and stdin, in another order
    half = len(recs) // 2
    gz = tmp_path / "access.log.1.gz"
    with gzip.open(gz, "wt") as f:
        f.write("".join(line(r) + "\n" for r in recs[half:]))
    got = json.loads(run_report("--json", "--top", "1000", str(gz), "-",
                                input="".join(line(r) + "\n" for r in recs[:half]).encode()).stdout)
    check(got, e)
    # gzip on stdin too
    got = json.loads(run_report("--json", "--top", "1000", input=gzip.compress(plain.read_bytes())).stdout)
    check(got, e)


def test_since_until_and_skipped(tmp_path):
    recs = gen(2000, seed=2)
    lo, hi = T0 + datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=2)
    inside = [r for r in recs if lo <= r["time"] <= hi]
    p = tmp_path / "a.log"
    p.write_text("".join(line(r) + "\n" for r in recs) + "not a log line\n\n{\"broken\": \n")
    got = json.loads(run_report("--json", "--top", "1000", "--since", lo.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "--until", hi.strftime("%Y-%m-%dT%H:%M:%S+00:00"), str(p)).stdout)
    assert got["requests"] == len(inside) and got["outside_range"] == len(recs) - len(inside)
    assert got["skipped_lines"] == 2
    e = expected(inside)
    assert {x["route"]: x["requests"] for x in got["top_routes"]} == e["routes"]
    assert subprocess.run([BIN, "report", "--since", "yesterday", str(p)], capture_output=True).returncode == 2


def test_text_output_ranks_like_the_grep_pipeline(tmp_path):
    recs = [r for r in gen(3000, seed=3) if r["fmt"] in ("mlflow_access", "combined")]
    p = tmp_path / "mlflow-access.log"
    p.write_text("".join(line(r) + "\n" for r in recs))
    out = run_report("--top", "5", str(p)).stdout.decode()
    # the seed's pipeline, on status only (its grep also matches 401/403 elsewhere in a line)
    counts = {}
    for r in recs:
        if r["status"] in (401, 403):
            counts[r["addr"]] = counts.get(r["addr"], 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    section = out.split("Failed authentication by client address")[1].split("\n\n")[0].splitlines()[2:]
    assert [(l.split()[3], int(l.split()[0])) for l in section] == top
    assert "Likely credential stuffing" in out and "203.0.113.66" in out


def test_large_file_read_by_threads_gives_the_same_numbers(tmp_path):
    recs = gen(3000, seed=4)
    block = "".join(line(r) + "\n" for r in recs)
    mult = max(1, (40 << 20) // len(block) + 1)  # past the 32 MiB split size
    p = tmp_path / "big.log"
    with open(p, "w") as f:
        for _ in range(mult):
            f.write(block)
    one = json.loads(run_report("--json", "--top", "1000", "--threads", "1", str(p)).stdout)
    four = json.loads(run_report("--json", "--top", "1000", "--threads", "4", str(p)).stdout)
    e = expected(recs)
    check(one, e, mult)
    check(four, e, mult)
    assert one["latency_ms"] == four["latency_ms"]


def test_mapped_windows_and_ranges_lose_no_line(tmp_path):
    """A large file is read through mapped 8 MiB windows split between
    threads: lines straddling a window or a range boundary, a line longer
    than a window (skipped, as is one longer than 128 KiB) and a last line
    without its newline give exactly what reading the same bytes from a
    pipe gives, whatever the number of readers."""
    recs = gen(3000, seed=5)
    block = "".join(line(r) + "\n" for r in recs)
    mult = (44 << 20) // len(block) + 1
    p = tmp_path / "big.log"
    with open(p, "w") as f:
        for i in range(mult):
            f.write(block)
            if i == mult // 5:
                f.write("x" * (200 << 10) + "\n")     # longer than the streaming buffer
            if i == mult // 2:
                f.write("y" * (9 << 20) + "\n")       # longer than a mapped window
        f.write(line(recs[0]))                        # no newline at the end
    data = p.read_bytes()
    piped = json.loads(run_report("--json", "--top", "1000", input=data).stdout)
    assert piped["requests"] == mult * 3000 + 1 and piped["skipped_lines"] == 2, (piped["requests"],
                                                                                  piped["skipped_lines"])
    for threads in ("1", "2", "3", "7"):
        got = json.loads(run_report("--json", "--top", "1000", "--threads", threads, str(p)).stdout)
        assert got == piped, threads


def test_ranges_that_start_on_a_page(tmp_path):
    """A file of exactly 64 MiB, a line ending right before its 32 MiB
    mark: every reader's range starts on a page boundary (reading the byte
    before a mapped window's first page crashed the report), and one range
    starts exactly at a line. Any number of readers counts what a pipe
    counts."""
    recs = gen(3000, seed=6)
    block = "".join(line(r) + "\n" for r in recs).encode()
    half, size = 32 << 20, 64 << 20

    def pad_line(n):  # a valid line of exactly n bytes with its newline
        head = '10.9.9.9 - - [20/Nov/2026:08:00:00 +0000] "GET /api/2.0/mlflow/runs/get?run_id='
        tail = ' HTTP/1.1" 200 5 "-" "-" 0.001 0.001\n'
        return (head + "r" * (n - len(head) - len(tail)) + tail).encode()

    p = tmp_path / "pages.log"
    with open(p, "wb") as f:
        for target in (half, size):
            while f.tell() + len(block) + 200 <= target:
                f.write(block)
            f.write(pad_line(target - f.tell()))
    assert os.path.getsize(p) == size and p.read_bytes()[half - 1:half + 1] == b"\n1"
    piped = json.loads(run_report("--json", "--top", "1000", input=p.read_bytes()).stdout)
    assert piped["skipped_lines"] == 0
    for threads in ("2", "4"):
        got = json.loads(run_report("--json", "--top", "1000", "--threads", threads, str(p)).stdout)
        assert got == piped, threads


def test_html_opens_in_chromium(tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by scripts/install-deps test"
    recs = gen(4000, seed=5)
    p = tmp_path / "a.log"
    p.write_text("".join(line(r) + "\n" for r in recs))
    page = tmp_path / "report.html"
    run_report("--html", str(page), str(p))
    html = page.read_text()
    assert html.count("<svg") >= 4 and "<script" not in html
    assert "src=" not in html and "href=" not in html and "@import" not in html  # nothing fetched
    assert "203.0.113.66" in html and "&quot;" not in html.split("<body>")[0]
    shot = tmp_path / "report.png"
    r = subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--enable-logging=stderr", "--v=0", "--window-size=1000,2600",
                        f"--screenshot={shot}", f"file://{page}"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HOME=str(tmp_path)))
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l]
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20000, r.stderr[-2000:]
    keep = os.path.join(ROOT, "build", "test-artifacts")
    os.makedirs(keep, exist_ok=True)
    shutil.copy(shot, os.path.join(keep, "report.png"))
    shutil.copy(page, os.path.join(keep, "report.html"))


def test_reads_a_gateways_own_log(gateway_factory, fake):
    g = gateway_factory()
    for _ in range(3):
        requests.get(g.url + "/api/2.0/mlflow/experiments/get?experiment_id=1", auth=("alice", USERS["alice"]))
    for i in range(6):
        requests.get(g.url + "/version", auth=(f"guess{i}", "pw"))
    time.sleep(0.3)
    got = json.loads(run_report("--json", g.access_log).stdout)
    assert got["requests"] == 9 and got["formats"] == {"mlgate": 9}
    assert got["status"] == {"200": 3, "401": 6}
    # the name given with refused credentials is logged (as nginx's $remote_user), so stuffing shows
    assert got["credential_stuffing"] == [{"address": "127.0.0.1", "users": 6, "failures": 6}]
    assert {x["route"]: x["requests"] for x in got["top_routes"]}["GET /api/2.0/mlflow/experiments/get"] == 3


def test_sparklines_on_a_terminal(tmp_path):
    recs = gen(500, seed=6)
    p = tmp_path / "a.log"
    p.write_text("".join(line(r) + "\n" for r in recs))
    piped = run_report(str(p)).stdout.decode()
    assert "FROM" in piped and "\u2588" not in piped          # a table when piped
    # under a pseudo-terminal (util-linux `script`): one sparkline per series instead
    tty = subprocess.run(["script", "-qec", f"{BIN} report {p}", "/dev/null"], capture_output=True, timeout=60,
                         env=dict(os.environ, TERM="dumb")).stdout.decode("utf-8", "replace")
    over = tty.split("Over time")[1].split("Likely credential")[0]
    assert "\u2588" in over and "FROM" not in over
    assert [l.split()[0] for l in over.strip().splitlines()[1:]] == ["requests", "401/403", "5xx"]


def test_an_overlong_line_is_skipped_not_fatal(tmp_path):
    """A line longer than a reader's buffer (128 KiB) is counted as skipped
    and the lines after it are read, from a file and from a pipe."""
    recs = gen(300, seed=7)
    lines = [line(r) + "\n" for r in recs]
    text = "".join(lines[:100]) + "x" * (300 << 10) + "\n" + "".join(lines[100:])
    p = tmp_path / "a.log"
    p.write_text(text)
    for args, inp in ((["--json", str(p)], None), (["--json"], text.encode())):
        got = json.loads(run_report(*args, input=inp).stdout)
        assert got["requests"] == 300 and got["skipped_lines"] == 1, (args, got["requests"], got["skipped_lines"])
