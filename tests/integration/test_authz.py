"""Authorisation of MLflow requests at the gateway: grants by user, group and
pattern, default permission, id resolution through MLflow, fail-closed
routes, and changes reaching a running gateway within a second."""
import time

import pytest
import requests

from conftest import USERS

ALICE = ("alice", USERS["alice"])
BOB = ("bob", USERS["bob"])
API = "/api/2.0/mlflow"

# The whole suite runs on both stores: the embedded SQLite and PostgreSQL.
pytestmark = pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"], indirect=True)


def until(fn, timeout=3.0):
    """Polls fn until it returns true (changes reach workers within ~1 s)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if fn():
            return time.time() - t0
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def forwarded(fake, path_part):
    return [r for r in fake.seen() if path_part in r.path]


def test_default_read_and_grants(gateway_factory, fake):
    g = gateway_factory(admins=())
    fake.experiments["7"] = "exp-7"
    r = requests.get(g.url + API + "/experiments/get?experiment_id=7", auth=ALICE)
    assert r.status_code == 200  # default_permission READ
    r = requests.post(g.url + API + "/experiments/update", json={"experiment_id": "7", "new_name": "x"}, auth=ALICE)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    assert forwarded(fake, "experiments/update") == []
    g.cli("grant", "alice", "EDIT", "experiment", "7")
    took = until(lambda: requests.post(g.url + API + "/experiments/update",
                                       json={"experiment_id": "7", "new_name": "x"}, auth=ALICE).status_code == 200)
    assert took < 1.5
    assert len(forwarded(fake, "experiments/update")) == 1
    # EDIT does not delete; bob still only reads
    r = requests.post(g.url + API + "/experiments/delete", json={"experiment_id": "7"}, auth=ALICE)
    assert r.status_code == 403
    r = requests.post(g.url + API + "/experiments/update", json={"experiment_id": "7", "new_name": "y"}, auth=BOB)
    assert r.status_code == 403
    # revocation takes effect as fast
    g.cli("revoke", "alice", "experiment", "7")
    until(lambda: requests.post(g.url + API + "/experiments/update",
                                json={"experiment_id": "7", "new_name": "x"}, auth=ALICE).status_code == 403)
    assert "needs EDIT on experiment 7" in g.errors()


def test_default_permission_no_permissions(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    r = requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=ALICE)
    assert r.status_code == 403
    g.cli("grant", "alice", "READ", "experiment", "1")
    until(lambda: requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=ALICE).status_code == 200)
    # an explicit NO_PERMISSIONS grant wins over a group's grant
    g.cli("group", "add", "team")
    g.cli("group", "member", "add", "team", "bob")
    g.cli("grant", "@team", "MANAGE", "experiment", "1")
    until(lambda: requests.post(g.url + API + "/experiments/delete", json={"experiment_id": "1"},
                                auth=BOB).status_code == 200)
    g.cli("grant", "bob", "NO_PERMISSIONS", "experiment", "1")
    until(lambda: requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=BOB).status_code == 403)


def test_runs_resolve_to_their_experiment(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    fake.experiments["3"] = "exp-3"
    fake.runs["r3"] = "3"
    g.cli("grant", "alice", "EDIT", "experiment", "3")
    body = {"run_id": "r3", "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
    assert requests.post(g.url + API + "/runs/log-metric", json=body, auth=ALICE).status_code == 200
    assert requests.post(g.url + API + "/runs/log-metric", json=body, auth=BOB).status_code == 403
    # run_uuid is read when run_id is absent, as MLflow does
    body2 = {"run_uuid": "r3", "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
    assert requests.post(g.url + API + "/runs/log-metric", json=body2, auth=BOB).status_code == 403
    assert len(forwarded(fake, "log-metric")) == 1
    # look-ups are cached: at most one per worker served all of these
    assert 1 <= len([r for r in fake.seen_lookups() if "runs/get" in r.path]) <= 2
    # a run MLflow does not know is MLflow's own 404, not a 403
    r = requests.post(g.url + API + "/runs/log-metric", json={"run_id": "nope", "key": "k", "value": 1,
                                                              "timestamp": 1, "step": 0}, auth=ALICE)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert len(forwarded(fake, "log-metric")) == 1
    # a missing id is refused before MLflow sees it
    r = requests.post(g.url + API + "/runs/log-metric", json={"key": "k"}, auth=ALICE)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_models_groups_and_patterns(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    fake.experiments["11"] = "team-a/churn"
    fake.experiments["12"] = "team-b/fraud"
    g.cli("group", "add", "team-a")
    g.cli("group", "member", "add", "team-a", "alice")
    g.cli("grant", "@team-a", "EDIT", "pattern", "team-a/*")
    g.cli("grant", "@team-a", "READ", "model", "churn-model")
    url = g.url + API + "/experiments/get?experiment_id="
    until(lambda: requests.get(url + "11", auth=ALICE).status_code == 200)
    assert requests.get(url + "12", auth=ALICE).status_code == 403
    assert requests.get(url + "11", auth=BOB).status_code == 403
    # by name: resolved to the id and matched by the pattern
    r = requests.get(g.url + API + "/experiments/get-by-name?experiment_name=team-a/churn", auth=ALICE)
    assert r.status_code == 200
    r = requests.get(g.url + API + "/experiments/get-by-name?experiment_name=no-such", auth=ALICE)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    m = g.url + API + "/registered-models/get?name="
    assert requests.get(m + "churn-model", auth=ALICE).status_code == 200
    r = requests.patch(g.url + API + "/registered-models/update", json={"name": "churn-model", "description": "d"},
                       auth=ALICE)
    assert r.status_code == 403
    assert requests.get(m + "other", auth=ALICE).status_code == 403


def test_unknown_routes_fail_closed(gateway_factory, fake):
    g = gateway_factory(admins=("alice",))
    for path in ("/api/2.0/mlflow/no-such-route", "/ajax-api/3.0/jobs/search", "/stall?s=0", "/api/2.0/mlflow/runs/g%65t"):
        r = requests.get(g.url + path, auth=BOB)
        assert r.status_code in (400, 403), path
    assert fake.seen() == []
    assert requests.get(g.url + "/api/2.0/mlflow/no-such-route", auth=ALICE).status_code == 200
    # admin-only families
    r = requests.post(g.url + API + "/webhooks", json={"url": "http://169.254.169.254/"}, auth=BOB)
    assert r.status_code == 403
    assert len(fake.seen()) == 1
    # the UI itself is open to any user
    assert requests.get(g.url + "/", auth=BOB).status_code == 200
    assert requests.get(g.url + "/", auth=("bob", "wrong")).status_code == 401


def test_admin_unknown_routes_off(gateway_factory, fake):
    g = gateway_factory(admins=("alice",), extra_yaml="authz:\n  admin_unknown_routes: false\n")
    assert requests.get(g.url + "/api/2.0/mlflow/no-such-route", auth=ALICE).status_code == 403
    assert requests.get(g.url + API + "/experiments/get?experiment_id=1", auth=ALICE).status_code == 200


def test_artifacts_by_experiment(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    g.cli("grant", "alice", "READ", "experiment", "5")
    a = g.url + "/api/2.0/mlflow-artifacts/artifacts/"
    assert requests.get(a + "5/r1/artifacts/model.pkl?size=10", auth=ALICE).status_code == 200
    assert requests.put(a + "5/r1/artifacts/model.pkl", data=b"x" * 10, auth=ALICE).status_code == 403
    assert requests.get(a + "6/r1/artifacts/model.pkl?size=10", auth=ALICE).status_code == 403
    # encodings and tricks that would name another experiment are refused outright
    for bad in ("5/../6/x", "5/%2e%2e/6/x", "5/%252e%252e/6/x", "file:///etc/passwd", "%2Fetc/passwd"):
        r = requests.get(a + bad, auth=ALICE)
        assert r.status_code in (400, 403), bad
    assert len([r for r in fake.seen() if "mlflow-artifacts" in r.path]) == 1


def test_bearer_token_under_enforcement(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    g.cli("user", "add", "carol", "--stdin", input="carol-pw\n")
    tok = g.cli("token", "create", "--user", "carol", "--name", "ci").stdout.strip().split()[-1]
    h = {"Authorization": f"Bearer {tok}"}
    assert requests.get(g.url + API + "/experiments/get?experiment_id=1", headers=h).status_code == 403
    g.cli("grant", "carol", "READ", "experiment", "1")
    until(lambda: requests.get(g.url + API + "/experiments/get?experiment_id=1", headers=h).status_code == 200)
    g.cli("user", "admin", "carol", "on")
    until(lambda: requests.get(g.url + "/api/2.0/mlflow/no-such-route", headers=h).status_code == 200)


def test_create_calls_checked_and_attributed(gateway_factory, fake):
    import json
    g = gateway_factory(admins=("bob",))
    body = {"experiment_id": "1", "user_id": "jovyan", "tags": [{"key": "mlflow.user", "value": "jovyan"}]}
    r = requests.post(g.url + API + "/runs/create", json=body, auth=ALICE)
    assert r.status_code == 403  # default READ cannot create runs
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    until(lambda: requests.post(g.url + API + "/runs/create", json=body, auth=ALICE).status_code == 200)
    sent = json.loads(forwarded(fake, "runs/create")[-1].body)
    assert sent["user_id"] == "alice"
    assert {"key": "mlflow.user", "value": "alice"} in sent["tags"]
    assert "jovyan" not in json.dumps(sent)
    # URIs MLflow would later read: local paths, file:, '#', http(s) refused -- admins included
    n = len(fake.seen())
    for loc in ("file:///etc", "/etc/passwd", "http:///#/../../etc/", "http://169.254.169.254/x", "dbfs:/"):
        r = requests.post(g.url + API + "/experiments/create", json={"name": "e", "artifact_location": loc}, auth=BOB)
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", loc
    r = requests.post(g.url + API + "/model-versions/create", json={"name": "m", "source": "//proc/self/root/etc"},
                      auth=BOB)
    assert r.status_code == 400
    assert len(fake.seen()) == n
    r = requests.post(g.url + API + "/experiments/create", json={"name": "e", "artifact_location": "s3://b/e"},
                      auth=BOB)
    assert r.status_code == 200


def test_attribution_reject_mode(gateway_factory, fake):
    g = gateway_factory(admins=("alice",), extra_yaml="authz:\n  attribution: reject\n")
    r = requests.post(g.url + API + "/runs/create", json={"experiment_id": "1", "user_id": "bob"}, auth=ALICE)
    assert r.status_code == 403
    r = requests.post(g.url + API + "/runs/create", json={"experiment_id": "1", "user_id": "alice"}, auth=ALICE)
    assert r.status_code == 200


def test_creator_gets_manage_and_model_grants_follow(gateway_factory, fake):
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    r = requests.post(g.url + API + "/experiments/create", json={"name": "alice-exp"}, auth=ALICE)
    assert r.status_code == 200
    eid = r.json()["experiment_id"]
    # usable at once: the answer came after the grant was stored
    r = requests.post(g.url + API + "/experiments/delete", json={"experiment_id": eid}, auth=ALICE)
    assert r.status_code == 200
    assert requests.get(g.url + API + f"/experiments/get?experiment_id={eid}", auth=BOB).status_code == 403
    grants = g.cli("grant", "--list").stdout
    assert f"alice" in grants and eid in grants and "MANAGE" in grants

    r = requests.post(g.url + API + "/registered-models/create", json={"name": "churn"}, auth=ALICE)
    assert r.status_code == 200 and r.json()["registered_model"]["name"] == "churn"
    g.cli("grant", "bob", "READ", "model", "churn")
    until(lambda: requests.get(g.url + API + "/registered-models/get?name=churn", auth=BOB).status_code == 200)
    r = requests.post(g.url + API + "/registered-models/rename", json={"name": "churn", "new_name": "churn-v2"},
                      auth=ALICE)
    assert r.status_code == 200
    # every grant moved with the name
    assert requests.get(g.url + API + "/registered-models/get?name=churn-v2", auth=BOB).status_code == 200
    assert requests.get(g.url + API + "/registered-models/get?name=churn", auth=BOB).status_code == 403
    r = requests.delete(g.url + API + "/registered-models/delete", json={"name": "churn-v2"}, auth=ALICE)
    assert r.status_code == 200
    # a later model of the same name inherits nothing
    until(lambda: requests.get(g.url + API + "/registered-models/get?name=churn-v2", auth=BOB).status_code == 403)
    assert "churn" not in g.cli("grant", "--list").stdout

    # a failed create grants nothing
    fake.fail_creates = True
    r = requests.post(g.url + API + "/registered-models/create", json={"name": "x"}, auth=BOB)
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert "model     x" not in g.cli("grant", "--list").stdout


def walk(g, auth, path, method, page, params=None):
    """Follows page tokens to the end; returns the pages' item lists."""
    pages, tok = [], None
    for _ in range(50):
        p = dict(params or {}, max_results=page)
        if tok:
            p["page_token"] = tok
        if method == "GET":
            r = requests.get(g.url + path, params=p, auth=auth)
        else:
            r = requests.post(g.url + path, json=p, auth=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        key = [k for k in body if k != "next_page_token"]
        pages.append(body[key[0]] if key else [])
        tok = body.get("next_page_token")
        if not tok:
            return pages
    raise AssertionError("too many pages")


def test_search_filtered_and_refilled(gateway_factory, fake):
    g = gateway_factory(admins=("bob",), args=["--default-permission", "NO_PERMISSIONS"])
    for i in range(30):
        fake.experiments[str(10 + i)] = f"team-a/e{i}" if i % 3 == 0 else f"other/e{i}"
        fake.models.add(f"team-a-m{i}" if i % 4 == 0 else f"m{i}")
        fake.model_versions.append((f"team-a-m{i}" if i % 4 == 0 else f"m{i}", 1))
    g.cli("grant", "alice", "READ", "pattern", "team-a*")
    g.cli("grant", "alice", "READ", "experiment", "11")  # other/e1, by id
    want = sorted([str(10 + i) for i in range(30) if i % 3 == 0] + ["11"], key=int)
    pages = walk(g, ALICE, API + "/experiments/search", "POST", 4)
    got = [e["experiment_id"] for p in pages for e in p]
    assert got == want
    assert all(len(p) == 4 for p in pages[:-1]) and 0 < len(pages[-1]) <= 4
    # GET spelling of the same search
    assert [e["experiment_id"] for p in walk(g, ALICE, API + "/experiments/search", "GET", 5) for e in p] == want
    models = [m["name"] for p in walk(g, ALICE, API + "/registered-models/search", "GET", 3) for m in p]
    assert models == sorted(f"team-a-m{i}" for i in range(30) if i % 4 == 0)
    versions = [m["name"] for p in walk(g, ALICE, API + "/model-versions/search", "GET", 2) for m in p]
    assert versions == [f"team-a-m{i}" for i in range(30) if i % 4 == 0]
    # admins see MLflow's pages as they are
    assert len([e for p in walk(g, BOB, API + "/experiments/search", "POST", 7) for e in p]) == 32
    r = requests.post(g.url + API + "/experiments/search", json={"max_results": 0}, auth=ALICE)
    assert r.status_code == 400
    r = requests.post(g.url + API + "/experiments/search", json={"page_token": "mlg1.!!!"}, auth=ALICE)
    assert r.status_code == 400
    # paging fields read as MLflow would, never guessed at: both spellings,
    # a value no page size has, a body that is no JSON object
    for bad in ('{"max_results": 5, "maxResults": 6}', '{"max_results": "1' + "0" * 40 + '"}',
                '{"max_results": 2.5}', '{"page_token": "a", "page_token": "b"}', '[1]', '{"max_results": 5,}'):
        r = requests.post(g.url + API + "/experiments/search", data=bad, auth=ALICE,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 400, bad
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.post(g.url + API + "/experiments/search", data='{"maxResults": "3"}', auth=ALICE,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and len(r.json()["experiments"]) == 3
    # a forged token can only skip: every item is still filtered
    import base64, json as _json
    forged = "mlg1." + base64.urlsafe_b64encode(_json.dumps(["", 0]).encode()).decode().rstrip("=")
    r = requests.post(g.url + API + "/experiments/search", json={"page_token": forged, "max_results": 100}, auth=ALICE)
    assert [e["experiment_id"] for e in r.json()["experiments"]] == want
    # nothing readable: an empty page and no token, after walking every page
    g.cli("revoke", "alice", "pattern", "team-a*")
    until(lambda: requests.get(g.url + API + "/registered-models/search", params={"max_results": 2},
                               auth=ALICE).json() == {"registered_models": []})


def test_npm_client_with_token_under_enforcement(gateway_factory, fake):
    """The npm `mlflow` client with a personal access token, as a non-admin
    on a gateway that grants nothing by default: it creates an experiment
    (and becomes its manager), a run in it, and logs a metric; another
    user's token cannot write to that run."""
    import json
    import os
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    g.cli("user", "add", "carol", "--stdin", input="carol-pw\n")
    g.cli("user", "add", "dave", "--stdin", input="dave-pw\n")
    tok = g.cli("token", "create", "--user", "carol", "--name", "npm").stdout.strip()
    other = g.cli("token", "create", "--user", "dave", "--name", "npm").stdout.strip()
    out = subprocess.run(["node", os.path.join(here, "npm", "mlflow_client.js"), g.url, "", "Bearer " + tok],
                         capture_output=True, text=True, timeout=60, cwd=os.path.join(here, "npm"))
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["ok"] is True, res
    eid = res["created"]["experiment_id"]
    rid = res["run"]["run"]["info"]["run_id"]
    assert res["run"]["run"]["info"]["user_id"] == "carol"
    assert [r.path.split("?")[0].rsplit("/", 2)[-2:] for r in fake.seen()] == [
        ["experiments", "create"], ["experiments", "get"], ["runs", "create"], ["runs", "log-metric"]]
    metric = {"run_id": rid, "key": "auc", "value": 0.5, "timestamp": 2}
    r = requests.post(g.url + API + "/runs/log-metric", json=metric, headers={"Authorization": "Bearer " + other})
    assert r.status_code == 403
    r = requests.get(g.url + API + f"/experiments/get?experiment_id={eid}", headers={"Authorization": "Bearer " + other})
    assert r.status_code == 403
    assert len(fake.seen()) == 4


def test_graphql_authorised_by_its_arguments(gateway_factory, fake):
    g = gateway_factory(admins=("bob",), args=["--default-permission", "NO_PERMISSIONS"])
    fake.experiments["4"] = "e4"
    fake.experiments["5"] = "e5"
    fake.runs["ra"] = "4"
    fake.runs["rb"] = "5"
    g.cli("grant", "alice", "READ", "experiment", "4")
    q = ("query MlflowGetRunQuery($data: MlflowGetRunInput!) @component(name: \"MLflow.Run\") "
         "{ mlflowGetRun(input: $data) { run { info { runUuid } experiment { name } } } }")
    gql = g.url + "/graphql"
    assert requests.post(gql, json={"query": q, "variables": {"data": {"runId": "ra"}}}, auth=ALICE).status_code == 200
    r = requests.post(gql, json={"query": q, "variables": {"data": {"runId": "rb"}}}, auth=ALICE)
    assert r.status_code == 403
    bulk = ("query Q($d: X!) { mlflowGetMetricHistoryBulkInterval(input: $d) { metrics { key } } }")
    r = requests.post(gql, json={"query": bulk, "variables": {"d": {"runIds": ["ra", "rb"]}}}, auth=ALICE)
    assert r.status_code == 403  # every run named must be readable
    n = len(fake.seen())
    for body in ({"query": "{ __schema { types { name } } }"},
                 {"query": "mutation { mlflowDeleteRun(input: {runId: \"ra\"}) { ok } }"},
                 [{"query": q, "variables": {"data": {"runId": "ra"}}}] * 50,
                 {"query": "{ ...F } fragment F on Query { mlflowGetRun(input: {runId: \"rb\"}) { run { info { runUuid } } } }"},
                 {"query": "{ a: mlflowGetRun(input: {runId: \"ra\"}) { run { info { runUuid } } } "
                           "b: mlflowGetRun(input: {runId: \"rb\"}) { run { info { runUuid } } } }"}):
        r = requests.post(gql, json=body, auth=ALICE)
        assert r.status_code in (400, 403), body
    assert requests.get(gql + "?query=%7B__typename%7D", auth=ALICE).status_code == 403
    assert len(fake.seen()) == n
    # administrators send what they like
    assert requests.post(gql, json={"query": "{ __schema { types { name } } }"}, auth=BOB).status_code == 200


def test_bypass_regressions(gateway_factory, fake):
    """mlflow-api.md §4.2 and §6, for a caller who may read experiment 8 and
    nothing else: none of these reaches MLflow."""
    g = gateway_factory(admins=(), args=["--default-permission", "NO_PERMISSIONS"])
    fake.experiments["8"] = "e8"
    fake.experiments["9"] = "e9"
    fake.traces["t9"] = "9"
    g.cli("grant", "alice", "READ", "experiment", "8")
    u = g.url
    until(lambda: requests.get(u + API + "/experiments/get?experiment_id=8", auth=ALICE).status_code == 200)
    n = len(fake.seen())
    tries = [
        # path id and body id disagree (MLflow's reader merges them)
        ("PATCH", "/api/2.0/mlflow/traces/t9/tags", {"trace_id": "t8", "key": "k", "value": "v"}, (400,)),
        # the malformed route MLflow really registers, naming a forbidden experiment
        ("POST", "/api/2.0mlflow/experiments/search-datasets", {"experiment_ids": ["9"]}, (403,)),
        ("POST", "/api/2.0mlflow/experiments/search-datasets", {"experiment_ids": ["8", "9"]}, (403,)),
        # ajax twins are the same routes
        ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=9", None, (403,)),
        # artifact listing and multipart uploads whose body path climbs out
        ("GET", "/api/2.0/mlflow-artifacts/artifacts?path=9/r/artifacts", None, (403,)),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts?path=8/../9/r", None, (400,)),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts", None, (400, 403)),
        ("POST", "/api/2.0/mlflow-artifacts/mpu/create/8/r/artifacts/x", {"path": "../../9/r/x", "num_parts": 1},
         (400, 403)),
        ("POST", "/ajax-api/2.0/mlflow-artifacts/mpu/create/9/r/artifacts/x", {"path": "x", "num_parts": 1}, (403,)),
        # double percent-encoding and file: in the hand-registered get-artifact
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/8/%252e%252e/9/x", None, (400,)),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/file:9/x", None, (400, 403)),
        # HEAD is GET
        ("HEAD", "/api/2.0/mlflow/experiments/get?experiment_id=9", None, (403,)),
        # GET with a body naming an allowed experiment while the query names another
        ("GET", "/api/2.0/mlflow/experiments/get?experiment_id=9", {"experiment_id": "8"}, (400,)),
    ]
    for method, path, body, want in tries:
        r = requests.request(method, u + path, json=body, auth=ALICE)
        assert r.status_code in want, (method, path, r.status_code)
    assert len(fake.seen()) == n
    # OTel trace ingest names its experiment in a header: READ is not enough, one header only
    g.cli("grant", "alice", "EDIT", "experiment", "8")
    until(lambda: requests.post(u + "/v1/traces", data=b"\x0a\x00", headers={"X-MLflow-Experiment-Id": "8"},
                                auth=ALICE).status_code == 200)
    n = len(fake.seen())
    assert requests.post(u + "/v1/traces", data=b"\x0a\x00", headers={"X-MLflow-Experiment-Id": "9"},
                         auth=ALICE).status_code == 403
    assert requests.post(u + "/v1/traces", data=b"\x0a\x00", auth=ALICE).status_code == 400
    raw = (b"POST /v1/traces HTTP/1.1\r\nHost: a\r\nAuthorization: Basic " +
           __import__("base64").b64encode(f"alice:{USERS['alice']}".encode()) +
           b"\r\nX-MLflow-Experiment-Id: 8\r\nX-MLflow-Experiment-Id: 9\r\nContent-Length: 2\r\n"
           b"Connection: close\r\n\r\n\x0a\x00")
    from conftest import raw_request
    assert raw_request(g.port, raw).startswith(b"HTTP/1.1 400 ")
    assert len(fake.seen()) == n
    # the allowed forms do pass
    assert requests.get(u + "/api/2.0/mlflow-artifacts/artifacts?path=8/r/artifacts", auth=ALICE).status_code == 200
    r = requests.post(u + "/api/2.0mlflow/experiments/search-datasets", json={"experiment_ids": ["8"]}, auth=ALICE)
    assert r.status_code == 200
