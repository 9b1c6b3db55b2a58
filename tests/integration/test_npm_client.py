"""The 401 -> 200 flow driven by a real MLflow client from npm."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import USERS

NPM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npm")


def run_client(url, cred):
    out = subprocess.run(["node", os.path.join(NPM_DIR, "mlflow_client.js"), url, cred], capture_output=True,
                         text=True, timeout=60, cwd=NPM_DIR)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_npm_mlflow_client_401_then_200(gw, fake):
    assert os.path.isdir(os.path.join(NPM_DIR, "node_modules", "mlflow")), "run `make test` (npm ci)"
    denied = run_client(gw.url, "")
    assert denied["ok"] is False
    assert denied["status"] == 401
    assert denied["data"]["error_code"] == "UNAUTHENTICATED"
    assert fake.seen() == []
    wrong = run_client(gw.url, "alice:wrong")
    assert wrong["status"] == 401
    ok = run_client(gw.url, "alice:" + USERS["alice"])
    assert ok["ok"] is True, ok
    assert ok["created"]["user"] == "alice"
    assert ok["run"]["run"]["info"]["experiment_id"] == ok["created"]["experiment_id"]
    paths = [(r.method, r.path.split("?")[0]) for r in fake.seen()]
    assert paths == [("POST", "/api/2.0/mlflow/experiments/create"), ("GET", "/api/2.0/mlflow/experiments/get"),
                     ("POST", "/api/2.0/mlflow/runs/create"), ("POST", "/api/2.0/mlflow/runs/log-metric")]
