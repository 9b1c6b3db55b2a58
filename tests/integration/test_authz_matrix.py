"""The permission matrix, generated from the gateway's own route table
(`mlgate routes --json`): every route, under /api and its /ajax-api twin, for
every kind of caller -- admin, MANAGE, EDIT, READ and NO_PERMISSIONS grants,
a group's grant, a name-pattern grant, no login -- asserting the status and
whether the request reached MLflow."""
import json
import subprocess
import urllib.parse

import pytest
import requests

from conftest import BIN, make_htpasswd

LEVELS = {"NO_PERMISSIONS": 0, "READ": 1, "EDIT": 2, "MANAGE": 3}

# (user, password, effective level on experiment 21 and model "model-21")
PRINCIPALS = {
    "root": ("root-pw", "admin"),
    "u_manage": ("m-pw", 3),
    "u_edit": ("e-pw", 2),
    "u_read": ("r-pw", 1),
    "u_none": ("n-pw", 0),
    "u_group": ("g-pw", 2),
    "u_pattern": ("p-pw", 2),
}

IDS = {
    "experiment": "21", "experiment_list": ["21"], "experiment_name": "proj/a", "run": "run21",
    "run_list": ["run21"], "model": "model-21", "trace": "tr21", "trace_list": ["tr21"],
    "logged_model": "m-21", "dataset": "d-21", "issue": "is-21", "label_schema": "ls-21", "review_queue": "rq-21",
    "prompt_job": "pj-21",
}
# what a route's further requirements are sent as (each on experiment 21 or model-21)
EXTRA_VALUES = {"experiment_ids": ["21"], "source_prompt_uri": "prompts:/model-21/3", "config.dataset_id": "d-21"}


def routes():
    out = subprocess.run([BIN, "routes", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def request_for(route, prefix, n):
    """Builds (method, url path, body bytes, headers) for one route."""
    res = route["resource"]
    path = route["path"]
    value = IDS.get(res, "x")
    for seg in ("{request_id}", "{trace_id}", "{model_id}", "{dataset_id}", "{issue_id}", "{job_id}"):
        path = path.replace(seg, urllib.parse.quote(value if isinstance(value, str) else "x", safe=""))
    path = path.replace("{tag_key}", "k").replace("{webhook_id}", "w1").replace("{assessment_id}", "a1")
    path = path.replace("{key}", "k")
    query = []
    body = None
    if res == "artifact" and route["source"] == "query":
        query = [("path", "21/run21/artifacts")]  # the listing route
    elif res == "artifact":
        path += "21/run21/artifacts/f.bin"
        if "Multipart" in route["rpc"]:
            body = {"path": "part.bin", "num_parts": 1}
    elif path.endswith("/") and len(path) > 1:
        path += "app.js"  # a prefix route
    field = route.get("field")
    if field and route["source"] in ("params", "query") and res not in ("admin", "none", "artifact"):
        vals = value if isinstance(value, list) else [value]
        if route["method"] == "GET" or route["source"] == "query":
            query = [(field, v) for v in vals]
        else:
            body = {field: value}
    for x in route.get("extra", []):
        v = EXTRA_VALUES[x["field"]]
        body = dict(body or {})
        if "." in x["field"]:
            outer, inner = x["field"].split(".")
            body[outer] = {inner: v}
        else:
            body[x["field"]] = v
    if res == "graphql":  # the UI's run-page query, reading run21 (experiment 21)
        body = {"query": "query MlflowGetRunQuery($data: MlflowGetRunInput!) { mlflowGetRun(input: $data) "
                         "{ run { info { runUuid experimentId } } } }",
                "variables": {"data": {"runId": "run21"}}}
    headers = {"X-Test-Id": str(n)}
    if route["source"] == "header":  # OTel ingest: the experiment in a header, a protobuf body
        headers[route["field"]] = "21"
        return route["method"], prefix + path, b"\x0a\x00otlp", headers
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif route["method"] in ("POST", "PUT", "PATCH"):
        data = b"{}" if res != "artifact" and route["source"] != "query" else b"0123456789"
    url = prefix + path + ("?" + urllib.parse.urlencode(query) if query else "")
    return route["method"], url, data, headers


def variants():
    for r in routes():
        if r["resource"] == "mlgate":
            continue  # answered by mlgate itself, never forwarded (test_admin_api.py)
        if r["versions"]:
            for v in r["versions"]:
                for api in ("/api", "/ajax-api"):
                    yield r, f"{api}/{v}.0"
        else:
            yield r, ""


PUBLIC = ("/health", "/static-files/")
FILTERED_SEARCHES = ("SearchExperiments", "SearchRegisteredModels", "SearchModelVersions", "SearchLoggedModels")  # auth.public_paths defaults


def expected(route, who):
    if who is None:
        return route["path"] in PUBLIC
    level = PRINCIPALS[who][1]
    if level == "admin":
        return True
    if route["resource"] == "none":
        return True
    if route["resource"] == "admin":
        return False
    return level >= LEVELS[route["level"]]


@pytest.fixture(scope="module")
def matrix_gateway(tmp_path_factory):
    from fake_mlflow import FakeMLflow
    from conftest import Gateway
    tmp = tmp_path_factory.mktemp("matrix")
    fake = FakeMLflow()
    fake.experiments["21"] = "proj/a"
    fake.runs["run21"] = "21"
    fake.traces["tr21"] = "21"
    fake.logged_models["m-21"] = "21"
    fake.datasets["d-21"] = ["21"]
    fake.issues["is-21"] = "21"
    fake.label_schemas["ls-21"] = "21"
    fake.review_queues["rq-21"] = "21"
    fake.prompt_jobs["pj-21"] = "21"
    make_htpasswd(str(tmp / "htpasswd"), {u: p for u, (p, _) in PRINCIPALS.items()})
    g = Gateway(tmp, fake.port, admins=("root",), args=["--default-permission", "NO_PERMISSIONS"])
    for who, level in (("u_manage", "MANAGE"), ("u_edit", "EDIT"), ("u_read", "READ")):
        g.cli("grant", who, level, "experiment", "21")
        g.cli("grant", who, level, "model", "model-21")
    g.cli("group", "add", "editors")
    g.cli("group", "member", "add", "editors", "u_group")
    g.cli("grant", "@editors", "EDIT", "experiment", "21")
    g.cli("grant", "@editors", "EDIT", "model", "model-21")
    g.cli("grant", "u_pattern", "EDIT", "pattern", "proj/*")
    g.cli("grant", "u_pattern", "EDIT", "pattern", "model-*")
    yield g, fake
    rc = g.stop()
    errs = g.errors()
    fake.stop()
    assert "ERROR: AddressSanitizer" not in errs and "runtime error:" not in errs, errs
    assert rc == 0, errs


def test_permission_matrix(matrix_gateway):
    g, fake = matrix_gateway
    s = requests.Session()
    n = 0
    failures = []
    cases = 0
    for route, prefix in variants():
        for who in list(PRINCIPALS) + [None]:
            n += 1
            method, url, data, headers = request_for(route, prefix, n)
            auth = (who, PRINCIPALS[who][0]) if who else None
            before, lbefore = len(fake.seen()), len(fake.seen_lookups())
            r = s.request(method, g.url + url, data=data, headers=headers, auth=auth, timeout=10)
            reached = any(rec.header("X-Test-Id") == str(n) for rec in fake.seen()[before:])
            if route["rpc"] in FILTERED_SEARCHES and not reached:
                # non-admins' searches are asked by the gateway itself, page by page
                reached = any(rec.path.split("?")[0] == url.split("?")[0] for rec in fake.seen_lookups()[lbefore:])
            want = expected(route, who)
            if who is None and not want:
                ok = r.status_code == 401 and not reached
            elif want:
                ok = reached and r.status_code not in (401, 403)
            else:
                ok = r.status_code == 403 and not reached
            cases += 1
            if not ok:
                failures.append(f"{who} {method} {url}: {r.status_code} reached={reached} expected={want}")
    assert cases > 1000
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} failures)"


# MLflow's own validators (mlflow-api.md §2.4), written down independently of
# the route table so a wrong row in the table fails here.
MLFLOW_LEVELS = {
    "READ": """GetExperiment GetExperimentByName GetRun GetMetricHistory ListArtifacts GetRegisteredModel
        GetLatestVersions GetModelVersion GetModelVersionDownloadUri GetModelVersionByAlias GetLoggedModel
        GetArtifact GetModelVersionArtifact GetTraceArtifact GetMetricHistoryBulk GetMetricHistoryBulkInterval
        SearchDatasets GetDataset GetDatasetRecords GetDatasetExperimentIds SearchEvaluationDatasets GetIssue
        SearchIssues GetLabelSchema GetLabelSchemaByName ListLabelSchemas ListReviewQueues
        GetPromptOptimizationJob SearchPromptOptimizationJobs""",
    "EDIT": """UpdateExperiment SetExperimentTag DeleteExperimentTag CreateRun CreateLoggedModel UpdateRun LogMetric
        LogBatch LogModel LogParam SetTag DeleteTag UpdateRegisteredModel RenameRegisteredModel CreateModelVersion
        UpdateModelVersion TransitionModelVersionStage SetRegisteredModelTag DeleteRegisteredModelTag
        SetModelVersionTag SetRegisteredModelAlias FinalizeLoggedModel SetLoggedModelTags LogLoggedModelParams
        CreateDataset SetDatasetTags DeleteDatasetTag UpsertDatasetRecords DeleteDatasetRecords
        AddDatasetToExperiments RemoveDatasetFromExperiments CreateIssue UpdateIssue CreateReviewQueue
        GetOrCreateUserQueue AddItemsToReviewQueue CreatePromptOptimizationJob CancelPromptOptimizationJob""",
    "MANAGE": """DeleteExperiment RestoreExperiment DeleteRun RestoreRun DeleteRegisteredModel DeleteModelVersion
        DeleteModelVersionTag DeleteRegisteredModelAlias DeleteLoggedModel DeleteLoggedModelTag DeleteDataset
        CreateLabelSchema UpdateLabelSchema DeleteLabelSchema DeletePromptOptimizationJob""",
}


def test_route_levels_match_mlflow():
    table = routes()
    by_rpc = {}
    for r in table:
        by_rpc.setdefault(r["rpc"], set()).add(r["level"])
    wrong = []
    for level, names in MLFLOW_LEVELS.items():
        for rpc in names.split():
            if by_rpc.get(rpc) != {level}:
                wrong.append(f"{rpc}: table has {by_rpc.get(rpc)}, MLflow needs {level}")
    assert not wrong, "\n".join(wrong)
    # families MLflow leaves to administrators in mlgate
    for rpc in ("CreateWebhook", "ListWebhooks", "UpdateWebhook", "DeleteWebhook", "TestWebhook"):
        assert by_rpc[rpc] == {"admin"}, rpc
