"""Malformed and smuggling requests: each gets the right status, the
connection is closed, and nothing reaches MLflow."""
import socket
import time

import pytest

from conftest import USERS, raw_request

import base64
A = "Authorization: Basic " + base64.b64encode(f"alice:{USERS['alice']}".encode()).decode() + "\r\n"

# (name, raw request, expected status). Every request carries valid
# credentials, so a rejection is the parser's, not authentication's.
CASES = [
    ("cl_and_te", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_and_cl", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
    ("two_cl_same", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{{}}", 400),
    ("two_cl_differ", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 2\r\nContent-Length: 7\r\n\r\n{{}}", 400),
    ("cl_list", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 2, 2\r\n\r\n{{}}", 400),
    ("cl_plus", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: +2\r\n\r\n{{}}", 400),
    ("cl_hex", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 0x2\r\n\r\n{{}}", 400),
    ("cl_negative", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: -1\r\n\r\n", 400),
    ("cl_empty", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length:\r\n\r\n", 400),
    ("cl_space_inside", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: 1 2\r\n\r\n", 400),
    ("te_gzip", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: gzip\r\n\r\n", 400),
    ("te_gzip_chunked", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_chunked_twice", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_leading_comma", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_identity", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: identity\r\n\r\n", 400),
    ("te_http10", f"POST /api/2.0/mlflow/runs/create HTTP/1.0\r\n{A}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_space_before_colon", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
    ("obs_fold_te", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}X-A: b\r\n Transfer-Encoding: chunked\r\n\r\n", 400),
    ("bare_cr", f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}X-A: b\rX-B: c\r\n\r\n", 400),
    ("bare_lf_headers", f"GET /api/2.0/mlflow/x HTTP/1.1\nHost: a\n{A.strip()}\n\n", 400),
    ("nul_in_value", f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}X-A: b\x00c\r\n\r\n", 400),
    ("missing_host", f"GET /api/2.0/mlflow/x HTTP/1.1\r\n{A}\r\n", 400),
    ("two_hosts", f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n{A}\r\n", 400),
    ("line_without_colon", f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}garbage\r\n\r\n", 400),
    ("chunk_size_0x", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\n\r\n0x2\r\n{{}}\r\n0\r\n\r\n", 400),
    ("chunk_size_plus", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\n\r\n+2\r\n{{}}\r\n0\r\n\r\n", 400),
    ("chunk_size_overflow", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff2\r\n{{}}\r\n0\r\n\r\n", 400),
    ("chunk_bare_lf", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\n\r\n2\n{{}}\n0\n\n", 400),
    ("chunk_data_too_long", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Transfer-Encoding: chunked\r\n\r\n2\r\n{{}}xx\r\n0\r\n\r\n", 400),
    ("absolute_form", f"GET http://evil/api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}\r\n", 400),
    ("http2_version", f"GET /api/2.0/mlflow/x HTTP/2.0\r\nHost: a\r\n{A}\r\n", 505),
    ("connect", f"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: a\r\n{A}\r\n", 501),
    ("long_target", f"GET /{'a' * 9000} HTTP/1.1\r\nHost: a\r\n{A}\r\n", 414),
    ("huge_headers", f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}" + "".join(f"X-{i}: {'v' * 400}\r\n" for i in range(100)) + "\r\n", 431),
    ("expect_unknown", f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Expect: 200-ok\r\nContent-Length: 2\r\n\r\n{{}}", 417),
]


@pytest.mark.parametrize("name,raw,status", CASES, ids=[c[0] for c in CASES])
def test_rejected_and_not_forwarded(gw, fake, name, raw, status):
    resp = raw_request(gw.port, raw.encode("latin-1"))
    first = resp.split(b"\r\n", 1)[0]
    assert first.startswith(b"HTTP/1.1 %d " % status), (name, resp[:200])
    assert b"Connection: close" in resp.split(b"\r\n\r\n", 1)[0]
    assert resp.count(b"HTTP/1.1 ") == 1, "one answer, then the connection closes"
    time.sleep(0.1)
    # Chunk errors are found while the body streams: the head may already be
    # on its way, but the gateway then drops the upstream connection, so MLflow
    # never receives a complete request (the fake records only complete ones).
    assert fake.seen() == [], [r.path for r in fake.seen()]


def test_smuggled_second_request_is_not_seen(gw, fake):
    """A CL.TE classic: the "body" hides a second request. Rejected whole."""
    hidden = f"GET /api/2.0/mlflow/admin HTTP/1.1\r\nHost: a\r\n{A}\r\n"
    raw = (f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\n{A}Content-Length: {len(hidden) + 5}\r\n"
           f"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{hidden}")
    resp = raw_request(gw.port, raw.encode())
    assert resp.startswith(b"HTTP/1.1 400")
    assert fake.seen() == []


def test_unauthenticated_body_is_not_parsed_as_a_request(gw, fake):
    """401 before reading a body closes the connection, so body bytes that look
    like a request are never taken as the next request."""
    hidden = f"GET /api/2.0/mlflow/hidden HTTP/1.1\r\nHost: a\r\n{A}\r\n"
    raw = f"POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\nContent-Length: {len(hidden)}\r\n\r\n{hidden}"
    resp = raw_request(gw.port, raw.encode())
    assert resp.startswith(b"HTTP/1.1 401")
    assert resp.count(b"HTTP/1.1 ") == 1
    assert fake.seen() == []


def test_response_smuggling_from_upstream_is_contained(gateway_factory, tmp_path):
    """An upstream that answers with conflicting framing gets a 502, not relayed."""
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    g = gateway_factory(upstream_port=port)
    resp = raw_request(g.port, f"GET /api/2.0/mlflow/x HTTP/1.1\r\nHost: a\r\n{A}Connection: close\r\n\r\n".encode())
    assert resp.startswith(b"HTTP/1.1 502")
    srv.close()


AMBIGUOUS = [
    ("dual_spelling_body", "POST", "/api/2.0/mlflow/runs/create",
     '{"experiment_id": "1", "experimentId": "2"}'),
    ("dual_spelling_query", "GET", "/api/2.0/mlflow/experiments/get?experiment_id=1&experimentId=2", ""),
    ("duplicate_json_key", "POST", "/api/2.0/mlflow/experiments/delete",
     '{"experiment_id": "1", "experiment_id": "2"}'),
    ("run_uuid_dual", "POST", "/ajax-api/2.0/mlflow/runs/log-metric", '{"run_uuid": "a", "runUuid": "b"}'),
    ("get_with_body", "GET", "/api/2.0/mlflow/experiments/get", '{"experiment_id": "2"}'),
    ("head_with_body", "HEAD", "/api/2.0/mlflow/runs/get", '{"run_id": "2"}'),
    ("not_an_object", "POST", "/api/2.0/mlflow/runs/create", '["experiment_id", "1"]'),
    ("bad_json", "POST", "/api/2.0/mlflow/registered-models/rename", '{"name": '),
    ("malformed_route_dual", "POST", "/api/2.0mlflow/experiments/search-datasets",
     '{"experiment_ids": ["1"], "experimentIds": ["2"]}'),
]


@pytest.mark.parametrize("name,method,path,body", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_ambiguous_mlflow_requests_refused(gw, fake, name, method, path, body):
    raw = (f"{method} {path} HTTP/1.1\r\nHost: a\r\n{A}Content-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")
    resp = raw_request(gw.port, raw.encode())
    assert resp.startswith(b"HTTP/1.1 400 "), (name, resp[:200])
    if method != "HEAD":
        assert b'"error_code":"INVALID_PARAMETER_VALUE"' in resp
    time.sleep(0.05)
    assert fake.seen() == []


def test_unambiguous_requests_pass(gw, fake):
    import requests
    auth = ("alice", USERS["alice"])
    assert requests.post(gw.url + "/api/2.0/mlflow/runs/create", json={"experimentId": "1"}, auth=auth).status_code == 200
    assert requests.get(gw.url + "/api/2.0/mlflow/experiments/get?experiment_id=1", auth=auth).status_code == 200
    assert requests.post(gw.url + "/api/2.0/mlflow/runs/log-metric", json={"run_uuid": "a", "key": "k"},
                         auth=auth).status_code == 200
    assert len(fake.seen()) == 3
