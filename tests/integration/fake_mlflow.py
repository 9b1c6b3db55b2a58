"""A stand-in for the MLflow tracking server, Python stdlib only.

It records every request it receives (method, path, headers, body length and
SHA-256) so tests can assert what reached the upstream -- and what did not.
"""
import hashlib
import http.server
import json
import socketserver
import threading
import time
import urllib.parse

PATTERN = bytes(range(256)) * 256  # 64 KiB of a known pattern for downloads


def pattern_bytes(size):
    """Yields `size` bytes of the download pattern in 64 KiB pieces."""
    left = size
    while left > 0:
        n = min(left, len(PATTERN))
        yield PATTERN[:n]
        left -= n


class Recorded:
    def __init__(self, method, path, headers, body_len, body_sha256, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body_len = body_len
        self.body_sha256 = body_sha256
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _read_body(self):
        """Reads the body as framed; returns (length, sha256 hex, first 64 KiB)."""
        h = hashlib.sha256()
        keep = bytearray()
        total = 0
        te = self.headers.get("Transfer-Encoding")
        if te is not None:
            assert te.lower() == "chunked", te
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ConnectionError("body cut short")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    piece = self.rfile.read(min(left, 1 << 20))
                    if not piece:
                        raise ConnectionError("short chunk")
                    h.update(piece)
                    if len(keep) < 65536:
                        keep += piece[: 65536 - len(keep)]
                    total += len(piece)
                    left -= len(piece)
                self.rfile.readline(16)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                piece = self.rfile.read(min(left, 1 << 20))
                if not piece:
                    raise ConnectionError("short body")
                h.update(piece)
                if len(keep) < 65536:
                    keep += piece[: 65536 - len(keep)]
                total += len(piece)
                left -= len(piece)
        return total, h.hexdigest(), bytes(keep)

    def _send_json(self, obj, status=200, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self):
        srv = self.server.fake
        if self.path.startswith("/early"):
            # Answers without reading the body, then closes (as a server that
            # rejects an upload up front does).
            with srv.lock:
                srv.requests.append(Recorded(self.command, self.path, list(self.headers.items()), -1, "", b""))
            self.close_connection = True
            self._send_json({"error_code": "PERMISSION_DENIED", "message": "early"}, status=403,
                            extra={"Connection": "close"})
            return
        try:
            n, digest, keep = self._read_body()
        except ConnectionError:
            self.close_connection = True  # the gateway gave up on this request
            return
        rec = Recorded(self.command, self.path, list(self.headers.items()), n, digest, keep)
        lookup = self.headers.get("User-Agent") == "mlgate-authz"
        with srv.lock:
            # the gateway's own look-ups (run -> experiment, ...) are kept apart
            # from the requests it forwarded
            (srv.lookups if lookup else srv.requests).append(rec)
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        path = url.path
        if self.command in ("GET", "HEAD") and self._model_answer(path, q):
            return
        if self.command in ("POST", "PATCH", "DELETE") and self._model_write(path, keep):
            return
        if self._search(path, q, keep):
            return
        if path == "/health":
            body = b"OK"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        if path.startswith("/stall"):
            time.sleep(float(q.get("s", ["30"])[0]))
            self._send_json({"late": True})
            return
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/") and self.command in ("GET", "HEAD"):
            size = int(q.get("size", ["1024"])[0])
            chunked = q.get("chunked", ["0"])[0] == "1"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command == "HEAD":
                return
            for piece in pattern_bytes(size):
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/nocontent":
            self.send_response(204)
            self.end_headers()
            return
        if path == "/notmodified":
            self.send_response(304)
            self.send_header("ETag", '"x"')
            self.end_headers()
            return
        if path == "/hop-headers":
            self.send_response(200)
            self.send_header("Connection", "X-Internal")
            self.send_header("X-Internal", "secret")
            self.send_header("Keep-Alive", "timeout=5")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        if path == "/close-delimited":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until-close body")
            self.close_connection = True
            return
        self._send_json({
            "method": self.command,
            "path": self.path,
            "user": self.headers.get("X-Forwarded-User"),
            "body_len": n,
            "body_sha256": digest,
        })

    def _not_found(self, what):
        self._send_json({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"{what} not found"}, status=404)
        return True

    def _search(self, path, q, body):
        """Paged searches over the fake's model, with offset page tokens."""
        srv = self.server.fake
        rest = path.split("/mlflow/", 1)[-1] if "/2.0/mlflow/" in path else None
        kinds = {"experiments/search": ("experiments", 1000), "registered-models/search": ("registered_models", 100),
                 "model-versions/search": ("model_versions", 200), "logged-models/search": ("models", 100)}
        if rest not in kinds:
            return False
        key, default = kinds[rest]
        if self.command == "GET":
            params = {k: v[0] for k, v in q.items()}
        else:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                return False
        with srv.lock:
            srv.search_calls += 1
            if key == "experiments":
                items = [{"experiment_id": e, "name": n} for e, n in sorted(srv.experiments.items(), key=lambda x: int(x[0]))]
            elif key == "registered_models":
                items = [{"name": n} for n in sorted(srv.models)]
            elif key == "model_versions":
                items = [{"name": n, "version": str(v)} for n, v in srv.model_versions]
            else:
                items = [{"info": {"model_id": m, "experiment_id": e}} for m, e in sorted(srv.logged_models.items())]
        n = int(params.get("max_results") or default)
        tok = params.get("page_token") or ""
        if tok and not tok.startswith("off:"):
            self._send_json({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad page token"}, status=400)
            return True
        off = int(tok[4:].split("|")[0]) if tok else 0
        page = items[off:off + n]
        answer = {key: page}
        if off + n < len(items):
            # opaque to clients, as MLflow's are: with characters JSON escapes
            answer["next_page_token"] = f"off:{off + n}|\"q\\b\x01\u00e9"
        self._send_json(answer)
        return True

    def _model_write(self, path, body):
        """Creates experiments and registered models in the fake's model, as
        MLflow answers those calls."""
        srv = self.server.fake
        rest = path.split("/mlflow/", 1)[-1] if "/2.0/mlflow/" in path else None
        if rest not in ("experiments/create", "registered-models/create", "registered-models/rename",
                        "registered-models/delete", "runs/create"):
            return False
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return False
        if rest == "runs/create":
            with srv.lock:
                eid = str(req.get("experiment_id", req.get("experimentId", "")))  # both spellings, as MLflow
                if eid not in srv.experiments:
                    return self._not_found(f"Experiment '{eid}'")
                rid = f"run{len(srv.runs) + 1:04d}"
                srv.runs[rid] = eid
            self._send_json({"run": {"info": {"run_id": rid, "run_uuid": rid, "experiment_id": eid,
                                              "user_id": req.get("user_id")},
                                     "data": {"tags": req.get("tags", [])}},
                             "user": self.headers.get("X-Forwarded-User")})
            return True
        if not req.get("name"):
            self._send_json({"error_code": "INVALID_PARAMETER_VALUE", "message": "name required"}, status=400)
            return True
        if rest in ("registered-models/rename", "registered-models/delete"):
            with srv.lock:
                if req["name"] not in srv.models:
                    return self._not_found(f"Registered model '{req['name']}'")
                srv.models.discard(req["name"])
                if rest.endswith("rename"):
                    srv.models.add(req.get("new_name", ""))
            self._send_json({"registered_model": {"name": req.get("new_name", "")}} if rest.endswith("rename") else {})
            return True
        if srv.fail_creates:
            self._send_json({"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}, status=400)
            return True
        with srv.lock:
            if rest == "experiments/create":
                eid = str(100 + len(srv.experiments))
                srv.experiments[eid] = req.get("name", "")
                answer = {"experiment_id": eid, "user": self.headers.get("X-Forwarded-User")}
            else:
                srv.models.add(req.get("name", ""))
                answer = {"registered_model": {"name": req.get("name", "")}}
        self._send_json(answer)
        return True

    def _model_answer(self, path, q):
        """Answers the reads the gateway resolves ids with, from the fake's
        little model of experiments, runs, traces and logged models (as MLflow
        would: unknown ids are 404 RESOURCE_DOES_NOT_EXIST)."""
        srv = self.server.fake
        for prefix in ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/"):
            if path.startswith(prefix):
                rest = path[len(prefix):]
                break
        else:
            return False
        v3 = prefix == "/api/3.0/mlflow/"
        with srv.lock:
            if v3:
                return self._genai_answer(rest, q)
            if rest == "runs/get":
                rid = (q.get("run_id") or q.get("run_uuid") or [""])[0]
                if rid not in srv.runs:
                    return self._not_found(f"Run '{rid}'")
                self._send_json({"run": {"info": {"run_id": rid, "run_uuid": rid, "experiment_id": srv.runs[rid]},
                                         "data": {}}})
                return True
            if rest == "experiments/get":
                eid = q.get("experiment_id", [""])[0]
                if eid not in srv.experiments:
                    return self._not_found(f"Experiment '{eid}'")
                self._send_json({"experiment": {"experiment_id": eid, "name": srv.experiments[eid]}})
                return True
            if rest == "experiments/get-by-name":
                name = q.get("experiment_name", [""])[0]
                for eid, n in srv.experiments.items():
                    if n == name:
                        self._send_json({"experiment": {"experiment_id": eid, "name": n}})
                        return True
                return self._not_found(f"Experiment '{name}'")
            parts = rest.split("/")
            if len(parts) == 3 and parts[0] == "traces" and parts[2] == "info":
                tid = urllib.parse.unquote(parts[1])
                if tid not in srv.traces:
                    return self._not_found(f"Trace '{tid}'")
                self._send_json({"trace_info": {"request_id": tid, "experiment_id": srv.traces[tid]}})
                return True
            if len(parts) == 2 and parts[0] == "logged-models" and parts[1] != "search":
                mid = urllib.parse.unquote(parts[1])
                if mid not in srv.logged_models:
                    return self._not_found(f"Logged model '{mid}'")
                self._send_json({"model": {"info": {"model_id": mid, "experiment_id": srv.logged_models[mid]}}})
                return True
        return False

    def _genai_answer(self, rest, q):
        """The GenAI resources' owners, as MLflow 3.x answers them (lock held)."""
        srv = self.server.fake
        parts = rest.split("/")
        if len(parts) == 3 and parts[0] == "datasets" and parts[2] == "experiment-ids":
            did = urllib.parse.unquote(parts[1])
            if did not in srv.datasets:
                return self._not_found(f"Dataset '{did}'")
            self._send_json({"experiment_ids": list(srv.datasets[did])})
            return True
        owners = {"issues": ("issue", srv.issues, "issue_id"),
                  "prompt-optimization": ("job", srv.prompt_jobs, "job_id")}
        if len(parts) == 2 and parts[0] == "issues" and parts[1] != "search":
            oid, what = urllib.parse.unquote(parts[1]), "issues"
        elif len(parts) == 3 and parts[:2] == ["prompt-optimization", "jobs"] and parts[2] != "search":
            oid, what = urllib.parse.unquote(parts[2]), "prompt-optimization"
        elif rest == "label-schemas/get":
            oid, what = q.get("schema_id", [""])[0], "label-schemas"
            owners[what] = ("label_schema", srv.label_schemas, "schema_id")
        elif rest == "review-queues/get":
            oid, what = q.get("queue_id", [""])[0], "review-queues"
            owners[what] = ("review_queue", srv.review_queues, "queue_id")
        else:
            return False
        obj, table, key = owners[what]
        if oid not in table:
            return self._not_found(f"{obj} '{oid}'")
        answer = {key: oid}
        if table[oid] is not None:
            answer["experiment_id"] = table[oid]
        self._send_json({obj: answer})
        return True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # the gateway hanging up mid-request is part of several tests


class FakeMLflow:
    """Runs the fake on 127.0.0.1:<port> in a background thread."""

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.requests = []
        self.lookups = []
        # the model the gateway's look-ups are answered from
        self.experiments = {"0": "Default", "1": "exp-1"}
        self.runs = {}
        self.traces = {}
        self.logged_models = {}
        # GenAI resources -> their experiment (datasets: a list of them)
        self.datasets = {}
        self.issues = {}
        self.label_schemas = {}
        self.review_queues = {}
        self.prompt_jobs = {}
        self.models = set()
        self.model_versions = []
        self.search_calls = 0
        self.fail_creates = False
        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.fake = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def clear(self):
        with self.lock:
            self.requests.clear()
            self.lookups.clear()

    def seen_lookups(self):
        with self.lock:
            return list(self.lookups)

    def seen(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
