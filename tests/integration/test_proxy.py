"""The proxy: streaming, framing, keep-alive, upstream failures, mount, logs."""
import hashlib
import http.client
import json
import re
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import USERS, free_port, raw_request, read_until_close
from fake_mlflow import PATTERN, pattern_bytes

AUTH = ("alice", USERS["alice"])
HDR = "Authorization: Basic " + __import__("base64").b64encode(f"alice:{USERS['alice']}".encode()).decode()
GIB = 1 << 30


def read_response(sock_file):
    """Reads one HTTP/1.1 response (Content-Length or chunked) from a file object."""
    status = sock_file.readline()
    headers = {}
    while True:
        line = sock_file.readline()
        if line in (b"\r\n", b""):
            break
        k, v = line.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = sock_file.read(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int(sock_file.readline().split(b";")[0], 16)
            if size == 0:
                sock_file.readline()
                break
            body += sock_file.read(size)
            sock_file.readline()
    return status, headers, body


class RssSampler(threading.Thread):
    def __init__(self, gw):
        super().__init__(daemon=True)
        self.gw = gw
        self.peak = gw.rss_kib()
        self.stop_flag = False

    def run(self):
        while not self.stop_flag:
            self.peak = max(self.peak, self.gw.rss_kib())
            time.sleep(0.02)


def test_one_gib_upload_and_download_stream(gw, fake):
    # warm up: buffers and pools exist before the baseline is taken
    requests.get(gw.url + "/api/2.0/mlflow-artifacts/artifacts/1/w?size=10000000", auth=AUTH)
    base = gw.rss_kib()
    sampler = RssSampler(gw)
    sampler.start()
    # upload, Content-Length framing
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=120)
    conn.putrequest("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin")
    conn.putheader("Authorization", HDR.split(": ", 1)[1])
    conn.putheader("Content-Length", str(GIB))
    conn.endheaders()
    sent = hashlib.sha256()
    piece = bytes(range(256)) * 4096  # 1 MiB
    for i in range(GIB // len(piece)):
        block = piece[i % 256:] + piece[:i % 256]
        sent.update(block)
        conn.send(block)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 200
    assert body["body_len"] == GIB
    assert body["body_sha256"] == sent.hexdigest()
    # download
    resp = requests.get(gw.url + f"/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin?size={GIB}",
                        auth=AUTH, stream=True)
    got = hashlib.sha256()
    n = 0
    for chunk in resp.iter_content(1 << 20):
        got.update(chunk)
        n += len(chunk)
    want = hashlib.sha256()
    for p in pattern_bytes(GIB):
        want.update(p)
    sampler.stop_flag = True
    sampler.join()
    assert n == GIB
    assert got.hexdigest() == want.hexdigest()
    growth_mib = (sampler.peak - base) / 1024
    print(f"RSS base {base} KiB, peak {sampler.peak} KiB, growth {growth_mib:.1f} MiB")
    assert growth_mib < 32, f"gateway RSS grew {growth_mib:.1f} MiB during 1 GiB transfers"


def test_chunked_upload_with_expect_continue(gw, fake):
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    s.sendall(("PUT /api/2.0/mlflow-artifacts/artifacts/2/r/artifacts/x HTTP/1.1\r\nHost: gw\r\n" + HDR +
               "\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n").encode())
    f = s.makefile("rb")
    assert f.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert f.readline() == b"\r\n"
    data = b""
    for i in range(50):
        piece = bytes([i]) * (1000 + i * 997)
        data += piece
        s.sendall(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
    s.sendall(b"0\r\nX-Trailer: dropped\r\n\r\n")
    status, headers, body = read_response(f)
    s.close()
    assert status.startswith(b"HTTP/1.1 200")
    out = json.loads(body)
    assert out["body_len"] == len(data)
    assert out["body_sha256"] == hashlib.sha256(data).hexdigest()
    rec = fake.seen()[0]
    assert rec.header("Expect") is None
    assert rec.header("Transfer-Encoding") == "chunked"
    assert rec.header("X-Trailer") is None


def test_keepalive_and_pipelining(gw, fake):
    reqs = b"".join(
        (f"GET /api/2.0/mlflow/metrics/get-history?run_id={i} HTTP/1.1\r\nHost: gw\r\n{HDR}\r\n\r\n").encode()
        for i in range(3))
    reqs += (f"POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: gw\r\n{HDR}\r\n"
             "Content-Length: 24\r\n\r\n{\"run_id\":\"a\",\"value\":1}").encode()
    reqs += f"GET /api/2.0/mlflow/metrics/get-history?run_id=last HTTP/1.1\r\nHost: gw\r\n{HDR}\r\n\r\n".encode()
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    s.sendall(reqs)
    f = s.makefile("rb")
    paths = []
    for _ in range(5):
        status, headers, body = read_response(f)
        assert status.startswith(b"HTTP/1.1 200"), status
        paths.append(json.loads(body)["path"])
    # still open for more
    s.sendall(f"GET /api/2.0/mlflow/metrics/get-history?run_id=after HTTP/1.1\r\nHost: gw\r\n{HDR}\r\n\r\n".encode())
    status, headers, body = read_response(f)
    assert json.loads(body)["path"].endswith("run_id=after")
    s.close()
    assert paths == [f"/api/2.0/mlflow/metrics/get-history?run_id={i}" for i in range(3)] + [
        "/api/2.0/mlflow/runs/log-metric", "/api/2.0/mlflow/metrics/get-history?run_id=last"]
    assert [r.path for r in fake.seen()][:5] == paths


def test_head_204_304_have_no_body(gw, fake):
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    f = s.makefile("rb")
    s.sendall(f"HEAD /api/2.0/mlflow-artifacts/artifacts/1/x?size=12345 HTTP/1.1\r\nHost: g\r\n{HDR}\r\n\r\n".encode())
    status = f.readline()
    head = b""
    while True:
        line = f.readline()
        head += line
        if line == b"\r\n":
            break
    assert status.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: 12345" in head
    for path, code in (("/nocontent", b"204"), ("/notmodified", b"304")):
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: g\r\n{HDR}\r\n\r\n".encode())
        status = f.readline()
        assert code in status
        while f.readline() != b"\r\n":
            pass
    # the connection is still in sync: one more request works
    s.sendall(f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: g\r\n{HDR}\r\n\r\n".encode())
    status, headers, body = read_response(f)
    assert status.startswith(b"HTTP/1.1 200") and b"/api/2.0/mlflow/x" in body
    s.close()


def test_close_delimited_upstream_response_is_rechunked(gw, fake):
    r = requests.get(gw.url + "/close-delimited", auth=AUTH)
    assert r.status_code == 200
    assert r.content == b"until-close body"
    assert r.headers.get("Transfer-Encoding") == "chunked"


def test_forwarded_headers_and_request_id(gw, fake):
    r = requests.get(gw.url + "/api/2.0/mlflow/x", auth=AUTH,
                     headers={"X-Forwarded-For": "6.6.6.6", "X-Request-Id": "client-id-123", "Connection": "X-Drop",
                              "X-Drop": "secret", "TE": "trailers", "Keep-Alive": "timeout=5"})
    assert r.status_code == 200
    assert r.headers["X-Request-Id"] == "client-id-123"
    rec = fake.seen()[0]
    assert rec.header_all("X-Forwarded-For") == ["127.0.0.1"]
    assert rec.header("X-Forwarded-Proto") == "http"
    assert rec.header("X-Forwarded-Host") == f"127.0.0.1:{gw.port}"
    assert rec.header("X-Request-Id") == "client-id-123"
    for h in ("X-Drop", "TE", "Keep-Alive", "Connection"):
        assert rec.header(h) is None, h
    r = requests.get(gw.url + "/api/2.0/mlflow/x", auth=AUTH, headers={"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    time.sleep(0.2)
    assert any("client-id-123" in line for line in gw.access_lines())


def test_response_hop_by_hop_headers_removed(gw, fake):
    r = requests.get(gw.url + "/hop-headers", auth=AUTH)
    assert r.status_code == 200 and r.content == b"ok"
    assert "X-Internal" not in r.headers
    assert "Keep-Alive" not in r.headers


def test_upstream_down_502(gateway_factory):
    g = gateway_factory(upstream_port=free_port())
    r = requests.get(g.url + "/api/2.0/mlflow/experiments/search", auth=AUTH)
    assert r.status_code == 502
    assert r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert r.headers["Retry-After"]
    assert "127.0.0.1" not in r.text
    r = requests.get(g.url + "/ajax-api/2.0/mlflow/experiments/search", auth=AUTH, headers={"Accept": "text/html"})
    assert r.status_code == 502 and r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    r = requests.get(g.url + "/", auth=AUTH, headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 502
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["X-Request-Id"] in r.text
    assert "127.0.0.1" not in r.text
    errs = g.errors()
    assert "connection refused" in errs and "127.0.0.1:" in errs
    h = requests.get(g.url + "/-/health")
    assert h.status_code == 503
    assert h.json()["upstream"]["status"] == "down"


def test_upstream_stall_504(gateway_factory, fake):
    g = gateway_factory(extra_yaml="  response_timeout: 1s\n")
    t0 = time.time()
    r = requests.get(g.url + "/stall?s=4", auth=AUTH)
    assert r.status_code == 504
    assert time.time() - t0 < 3.5
    assert r.json()["error_code"] == "DEADLINE_EXCEEDED"
    assert "no response within upstream.response_timeout" in g.errors()


def test_slowloris_408(gateway_factory):
    g = gateway_factory(extra_yaml="timeouts:\n  header: 1s\n")
    s = socket.create_connection(("127.0.0.1", g.port), timeout=5)
    s.sendall(b"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n")
    t0 = time.time()
    for _ in range(4):
        time.sleep(0.3)
        try:
            s.sendall(b"X-a: b\r\n")
        except OSError:
            break
    data = read_until_close(s)
    elapsed = time.time() - t0
    assert data.startswith(b"HTTP/1.1 408"), data
    assert elapsed < 3.0


def test_idle_keepalive_closed(gateway_factory):
    g = gateway_factory(extra_yaml="timeouts:\n  keepalive: 1s\n")
    s = socket.create_connection(("127.0.0.1", g.port), timeout=5)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
    f = s.makefile("rb")
    read_response(f)
    t0 = time.time()
    assert f.read() == b""  # closed by the gateway
    assert 0.5 < time.time() - t0 < 3


def test_mount_subpath(gateway_factory, fake):
    g = gateway_factory(extra_yaml="  mount: /mlflow\n")
    r = requests.get(g.url + "/mlflow/api/2.0/mlflow/experiments/search?max_results=1", auth=AUTH)
    assert r.status_code == 200
    assert fake.seen()[-1].path == "/api/2.0/mlflow/experiments/search?max_results=1"
    r = requests.get(g.url + "/mlflow/ajax-api/2.0/mlflow/runs/get?run_id=r1", auth=AUTH)
    assert fake.seen()[-1].path == "/ajax-api/2.0/mlflow/runs/get?run_id=r1"
    assert requests.get(g.url + "/mlflow/health").status_code == 200  # public, under the mount
    assert fake.seen()[-1].path == "/health"
    r = requests.get(g.url + "/mlflow?x=1", auth=AUTH, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"] == "/mlflow/?x=1"
    n = len(fake.seen())
    r = requests.get(g.url + "/api/2.0/mlflow/experiments/search", auth=AUTH)
    assert r.status_code == 404
    assert requests.get(g.url + "/mlflowx/health").status_code == 404
    assert len(fake.seen()) == n
    assert requests.get(g.url + "/-/health").json()["status"] == "ok"


def test_upstream_host_header(gateway_factory, fake):
    g = gateway_factory(extra_yaml="  host_header: mlflow.internal:5000\n")
    requests.get(g.url + "/api/2.0/mlflow/x", auth=AUTH)
    rec = fake.seen()[0]
    assert rec.header("Host") == "mlflow.internal:5000"
    assert rec.header("X-Forwarded-Host") == f"127.0.0.1:{g.port}"


def test_body_limit_413(gateway_factory, fake):
    g = gateway_factory(extra_yaml="limits:\n  max_body_size: 1k\n")
    r = requests.post(g.url + "/api/2.0/mlflow/runs/log-batch", auth=AUTH, data=b"x" * 2000)
    assert r.status_code == 413
    # chunked bodies are counted as they stream
    r = requests.post(g.url + "/api/2.0/mlflow/runs/log-batch", auth=AUTH, data=iter([b"x" * 600] * 3))
    assert r.status_code == 413
    # artifact routes are unlimited by default
    r = requests.put(g.url + "/api/2.0/mlflow-artifacts/artifacts/1/a", auth=AUTH, data=b"y" * 100000)
    assert r.status_code == 200 and r.json()["body_len"] == 100000
    assert [x.path for x in fake.seen()] == ["/api/2.0/mlflow-artifacts/artifacts/1/a"]


def test_access_log_combined(gw, fake):
    requests.get(gw.url + "/api/2.0/mlflow/experiments/search?x=1", auth=AUTH,
                 headers={"User-Agent": 'ua "quoted"', "Referer": "http://r/"})
    requests.get(gw.url + "/api/2.0/mlflow/experiments/search")
    time.sleep(0.2)
    lines = gw.access_lines()
    assert len(lines) == 2
    pat = re.compile(r'^127\.0\.0\.1 - (\S+) \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "([^"]*)" (\d{3}) (\d+) '
                     r'"([^"]*)" "([^"]*)" (\d+\.\d{3}) (\S+) ([0-9a-zA-Z._-]+)$')
    m = pat.match(lines[0])
    assert m, lines[0]
    assert m.group(1) == "alice"
    assert m.group(2) == "GET /api/2.0/mlflow/experiments/search?x=1 HTTP/1.1"
    assert m.group(3) == "200"
    assert m.group(5) == "http://r/"
    assert m.group(6) == "ua \\x22quoted\\x22"
    assert re.fullmatch(r"\d+\.\d{3}", m.group(8))
    m2 = pat.match(lines[1])
    assert m2.group(1) == "-" and m2.group(3) == "401" and m2.group(8) == "-"


def test_access_log_json_and_reopen(gateway_factory, fake, tmp_path):
    log = tmp_path / "json.log"
    g = gateway_factory(extra_yaml=f"access_log:\n  path: {log}\n  format: json\n")
    requests.get(g.url + "/api/2.0/mlflow/x", auth=AUTH)
    time.sleep(0.2)
    rec = json.loads(log.read_text().splitlines()[0])
    assert rec["user"] == "alice" and rec["status"] == 200 and rec["method"] == "GET"
    assert rec["uri"] == "/api/2.0/mlflow/x" and rec["request_id"]
    assert isinstance(rec["upstream_response_time"], float)
    log.rename(tmp_path / "json.log.1")
    g.signal(signal.SIGUSR1)
    time.sleep(0.3)
    requests.get(g.url + "/api/2.0/mlflow/y", auth=AUTH)
    time.sleep(0.2)
    assert json.loads(log.read_text().splitlines()[0])["uri"] == "/api/2.0/mlflow/y"
    assert len((tmp_path / "json.log.1").read_text().splitlines()) == 1


def test_health_endpoint(gw, fake):
    r = requests.get(gw.url + "/-/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["upstream"]["http_status"] == 200
    assert fake.seen()[0].path == "/health"


def test_sigterm_drains_in_flight(gw, fake):
    out = {}

    def slow():
        out["r"] = requests.get(gw.url + "/stall?s=1", auth=AUTH)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    gw.signal(signal.SIGTERM)
    t.join(10)
    assert out["r"].status_code == 200 and out["r"].json() == {"late": True}
    assert gw.proc.wait(10) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(gw.url + "/health", timeout=1)


def test_early_upstream_answer_during_upload(gw, fake):
    """MLflow answering before it read the body: the client gets the answer,
    the rest of its body is read away, and the connection stays usable."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    size = 20 * 1024 * 1024
    conn.putrequest("PUT", "/early/upload")
    conn.putheader("Authorization", HDR.split(": ", 1)[1])
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    piece = b"z" * (1 << 20)
    for _ in range(size // len(piece)):
        conn.send(piece)
    resp = conn.getresponse()
    assert resp.status == 403
    assert json.loads(resp.read())["message"] == "early"
    conn.request("GET", "/api/2.0/mlflow/after", headers={"Authorization": HDR.split(": ", 1)[1]})
    resp = conn.getresponse()
    assert resp.status == 200
    assert json.loads(resp.read())["path"] == "/api/2.0/mlflow/after"
    conn.close()


def test_idle_request_body_408(gateway_factory, fake):
    g = gateway_factory(extra_yaml="timeouts:\n  body: 1s\n")
    s = socket.create_connection(("127.0.0.1", g.port), timeout=5)
    s.sendall((f"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: a\r\n{HDR}\r\n"
               "Content-Length: 100\r\n\r\n{\"partial\":").encode())
    t0 = time.time()
    data = read_until_close(s)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert time.time() - t0 < 3
    assert fake.seen() == []  # MLflow never got a complete request


def test_connection_limit(gateway_factory, fake):
    g = gateway_factory(workers=1, extra_yaml="limits:\n  max_connections: 2\n")
    time.sleep(0.3)  # the start-up probe's connection must be gone first
    held = [socket.create_connection(("127.0.0.1", g.port), timeout=5) for _ in range(2)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", g.port), timeout=5)
    assert extra.recv(100) == b""  # closed at once
    assert "limits.max_connections (2) reached" in g.errors()
    for s in held:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")
        s.close()


def test_json_api_bodies_are_read_whole(gateway_factory, fake):
    """MLflow API calls with JSON bodies reach MLflow with a Content-Length,
    whatever framing the client used; over limits.max_json_body_size is 413;
    artifact uploads still stream chunked."""
    g = gateway_factory(extra_yaml="limits:\n  max_json_body_size: 4k\n")
    body = json.dumps({"run_id": "r1", "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i}
                                                   for i in range(40)]}).encode()
    assert len(body) < 4096
    r = requests.post(g.url + "/api/2.0/mlflow/runs/log-batch", auth=AUTH,
                      data=iter([body[:100], body[100:]]))  # chunked from the client
    assert r.status_code == 200, r.text
    rec = fake.seen()[-1]
    assert rec.header("Transfer-Encoding") is None
    assert rec.header("Content-Length") == str(len(body))
    assert rec.body_sha256 == hashlib.sha256(body).hexdigest()
    big = b'{"run_id": "r1", "pad": "' + b"x" * 5000 + b'"}'
    assert requests.post(g.url + "/api/2.0/mlflow/runs/log-batch", auth=AUTH, data=big).status_code == 413
    assert requests.post(g.url + "/api/2.0/mlflow/runs/log-batch", auth=AUTH,
                         data=iter([big[:3000], big[3000:]])).status_code == 413
    n = len(fake.seen())
    r = requests.put(g.url + "/api/2.0/mlflow-artifacts/artifacts/1/x", auth=AUTH, data=iter([b"a" * 5000] * 3))
    assert r.status_code == 200 and r.json()["body_len"] == 15000
    assert fake.seen()[-1].header("Transfer-Encoding") == "chunked"
    assert len(fake.seen()) == n + 1


def test_refused_body_is_read_away_before_the_close(gateway_factory, fake):
    """A body refused with 413 while the client is still sending it: after
    the answer (and its FIN) what comes is read away, as nginx's lingering
    close does, so the client is not reset mid-send and reads the 413; the
    reading away ends on its own (2 s), after which the socket is gone."""
    import base64
    g = gateway_factory(extra_yaml="limits:\n  max_json_body_size: 4k\n")
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    head = (f"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {auth}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    s = socket.create_connection(("127.0.0.1", g.port), timeout=10)
    s.sendall(head + chunk + chunk)  # over 4k: the 413 is decided, written, the write side shut
    time.sleep(0.3)
    for _ in range(40):  # the client goes on sending (160 KiB): none of it may meet a reset
        s.sendall(chunk)
    data = read_until_close(s)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"REQUEST_LIMIT_EXCEEDED" in data
    time.sleep(2.5)  # past the lingering: the gateway has closed, sending now meets a reset
    with pytest.raises(OSError):
        for _ in range(20):
            s.sendall(chunk)
            time.sleep(0.05)
    s.close()
    assert not [r for r in fake.seen() if r.path.endswith("log-batch")]  # nothing reached MLflow


def test_pipelined_local_answers_keep_their_order(gateway_factory, fake):
    """Answers mlgate gives itself -- a 403 for a route it does not know
    (decided at once), MLflow's 404 for a run it does not have (after a
    look-up) -- are usually written at once and finished after the loop's
    callbacks: pipelined behind and between proxied requests, each comes
    once, in order, and the connection stays usable."""
    g = gateway_factory(admins=("alice",))
    fake.runs.update({"r1": "1", "r2": "1"})
    bob = "Authorization: Basic " + __import__("base64").b64encode(f"bob:{USERS['bob']}".encode()).decode()

    def req(target):
        return f"GET {target} HTTP/1.1\r\nHost: gw\r\n{bob}\r\n\r\n".encode()

    unknown = "/api/2.0/mlflow/no-such-route"
    history = "/api/2.0/mlflow/metrics/get-history?run_id={}"
    targets = [unknown, history.format("r1"), unknown, history.format("nope"), history.format("r2"), unknown]
    s = socket.create_connection(("127.0.0.1", g.port), timeout=10)
    f = s.makefile("rb")
    for round_ in range(2):  # all in one send, then again on the same connection
        s.sendall(b"".join(req(t) for t in targets))
        got = []
        for t in targets:
            status, headers, body = read_response(f)
            got.append(int(status.split()[1]))
            answer = json.loads(body)
            if t == unknown:
                assert answer["error_code"] == "PERMISSION_DENIED", body
            elif "nope" in t:
                assert answer["error_code"] == "RESOURCE_DOES_NOT_EXIST", body
            else:
                assert answer.get("path") == t, (status, body)
        assert got == [403, 200, 403, 404, 200, 403], (round_, got)
    s.close()
    assert [r.path for r in fake.seen() if "get-history" in r.path] == [history.format("r1"),
                                                                       history.format("r2")] * 2
