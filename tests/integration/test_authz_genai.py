"""Authorisation of MLflow 3.x's GenAI families by the experiments they live
in: evaluation datasets (linked to several experiments, or none), issues,
label schemas, review queues and prompt optimization jobs -- resolved
through MLflow, fail closed where nothing names an experiment, and the
further requirements some calls carry (the experiments a dataset is linked
to, a job's source prompt and training dataset)."""
import time

import pytest
import requests

from conftest import USERS

# on both stores, as the rest of the authorisation suite
pytestmark = pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"], indirect=True)

ALICE = ("alice", USERS["alice"])
BOB = ("bob", USERS["bob"])  # an administrator here
V3 = "/api/3.0/mlflow"


def until(fn, timeout=3.0):
    """Polls fn (grants reach the workers within about a second)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if fn():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def reached(fake, part):
    return [r for r in fake.seen() if part in r.path]


def start(gateway_factory, fake):
    g = gateway_factory(admins=("bob",), args=["--default-permission", "NO_PERMISSIONS"])
    for e in ("1", "2", "3"):
        fake.experiments[e] = f"exp-{e}"
    return g


def test_a_dataset_needs_the_level_on_every_experiment_it_is_linked_to(gateway_factory, fake):
    g = start(gateway_factory, fake)
    fake.datasets.update({"d-12": ["1", "2"], "d-none": []})
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    r = requests.get(g.url + V3 + "/datasets/d-12", auth=ALICE)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    assert reached(fake, "/datasets/d-12") == []
    assert "GetDataset needs READ on experiment 2" in g.errors()
    g.cli("grant", "alice", "READ", "experiment", "2")
    until(lambda: requests.get(g.url + V3 + "/datasets/d-12", auth=ALICE).status_code == 200)
    assert len(reached(fake, "/datasets/d-12")) == 1
    # EDIT on one of the two is not EDIT on the dataset
    r = requests.patch(g.url + V3 + "/datasets/d-12/tags", json={"tags": "{}"}, auth=ALICE)
    assert r.status_code == 403 and reached(fake, "/datasets/d-12/tags") == []
    # deleting needs MANAGE
    assert requests.delete(g.url + V3 + "/datasets/d-12", auth=ALICE).status_code == 403
    # linked to no experiment: administrators only
    r = requests.get(g.url + V3 + "/datasets/d-none", auth=ALICE)
    assert r.status_code == 403 and "belongs to no experiment" in g.errors()
    assert requests.get(g.url + V3 + "/datasets/d-none", auth=BOB).status_code == 200
    # one MLflow does not know: its own 404, nothing forwarded
    r = requests.get(g.url + V3 + "/datasets/d-gone/records", auth=ALICE)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert reached(fake, "d-gone/records") == []
    # the body may not name another dataset than the path
    r = requests.post(g.url + V3 + "/datasets/d-12/remove-experiments",
                      json={"dataset_id": "d-other", "experiment_ids": ["2"]}, auth=BOB)
    assert r.status_code == 400 and reached(fake, "remove-experiments") == []


def test_dataset_create_search_and_linking_name_their_experiments(gateway_factory, fake):
    g = start(gateway_factory, fake)
    fake.datasets["d-1"] = ["1"]
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    g.cli("grant", "alice", "READ", "experiment", "2")
    post = lambda path, body, who=ALICE: requests.post(g.url + V3 + path, json=body, auth=who)  # noqa: E731
    assert post("/datasets/create", {"name": "qa", "experiment_ids": ["1"]}).status_code == 200
    assert post("/datasets/create", {"name": "qa", "experiment_ids": ["1", "2"]}).status_code == 403
    # a search (or create) naming no experiment would list every dataset: administrators only
    assert post("/datasets/search", {}).status_code == 403
    assert post("/datasets/search", {}, BOB).status_code == 200
    assert post("/datasets/search", {"experiment_ids": ["1", "2"]}).status_code == 200
    assert requests.get(g.url + V3 + "/datasets/search?experiment_ids=3", auth=ALICE).status_code == 403
    # linking a dataset to an experiment needs EDIT there too, not only on the dataset's own
    n = len(reached(fake, "add-experiments"))
    assert post("/datasets/d-1/add-experiments", {"experiment_ids": ["2"]}).status_code == 403
    assert post("/datasets/d-1/add-experiments", {}).status_code == 403
    assert len(reached(fake, "add-experiments")) == n
    g.cli("grant", "alice", "EDIT", "experiment", "2")
    until(lambda: post("/datasets/d-1/add-experiments", {"experiment_ids": ["2"]}).status_code == 200)
    assert len(reached(fake, "add-experiments")) == n + 1


def test_issues_label_schemas_and_review_queues_follow_their_experiment(gateway_factory, fake):
    g = start(gateway_factory, fake)
    fake.issues.update({"is-1": "1", "is-2": "2"})
    fake.label_schemas.update({"ls-1": "1", "ls-orphan": None})
    fake.review_queues["rq-1"] = "1"
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    get = lambda path: requests.get(g.url + V3 + path, auth=ALICE).status_code  # noqa: E731
    assert get("/issues/is-1") == 200 and get("/issues/is-2") == 403
    assert requests.patch(g.url + V3 + "/issues/is-1", json={"status": "resolved"}, auth=ALICE).status_code == 200
    assert requests.post(g.url + V3 + "/issues", json={"experiment_id": "2", "name": "n"}, auth=ALICE).status_code == 403
    assert requests.post(g.url + V3 + "/issues/search", json={"experiment_id": "1"}, auth=ALICE).status_code == 200
    # label schemas: read with READ, changed only with MANAGE
    assert get("/label-schemas/get?schema_id=ls-1") == 200
    r = requests.patch(g.url + V3 + "/label-schemas/update", json={"schema_id": "ls-1", "title": "t"}, auth=ALICE)
    assert r.status_code == 403 and reached(fake, "label-schemas/update") == []
    assert requests.post(g.url + V3 + "/label-schemas/create", json={"experiment_id": "1", "name": "q"},
                         auth=ALICE).status_code == 403
    # a schema in no experiment: administrators only
    assert get("/label-schemas/get?schema_id=ls-orphan") == 403
    assert requests.get(g.url + V3 + "/label-schemas/get?schema_id=ls-orphan", auth=BOB).status_code == 200
    # review queues: EDIT creates and reviews, MANAGE deletes
    assert requests.post(g.url + V3 + "/review-queues/create", json={"experiment_id": "1", "name": "q",
                                                                       "queue_type": "CUSTOM"},
                         auth=ALICE).status_code == 200
    assert requests.post(g.url + V3 + "/review-queues/items/set-status",
                         json={"queue_id": "rq-1", "item_id": "t1", "status": "PENDING"}, auth=ALICE).status_code == 200
    assert get("/review-queues/items/list?queue_id=rq-1") == 200
    assert requests.post(g.url + V3 + "/review-queues/delete", json={"queue_id": "rq-1"},
                         auth=ALICE).status_code == 403
    assert reached(fake, "review-queues/delete") == []


def test_a_prompt_optimization_job_needs_its_prompt_and_its_dataset(gateway_factory, fake):
    g = start(gateway_factory, fake)
    fake.prompt_jobs["pj-1"] = "1"
    fake.datasets.update({"d-1": ["1"], "d-3": ["3"]})
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    g.cli("grant", "alice", "READ", "model", "summarise")
    g.cli("grant", "alice", "EDIT", "model", "translate")
    post = lambda body: requests.post(g.url + V3 + "/prompt-optimization/jobs", json=body, auth=ALICE)  # noqa: E731
    job = {"experiment_id": "1", "source_prompt_uri": "prompts:/translate/2", "config": {"dataset_id": "d-1"}}
    assert post(job).status_code == 200
    assert post(dict(job, source_prompt_uri="prompts:/translate@production")).status_code == 200
    # READ on the prompt is not enough: the job registers a new version of it
    assert post(dict(job, source_prompt_uri="prompts:/summarise/1")).status_code == 403
    # nor may it train on a dataset the caller cannot read
    assert post(dict(job, config={"datasetId": "d-3"})).status_code == 403
    n = len(reached(fake, "prompt-optimization/jobs"))
    # malformed: no prompt, not a prompt URI, both spellings
    assert post({"experiment_id": "1"}).status_code == 400
    assert post(dict(job, source_prompt_uri="models:/translate/2")).status_code == 400
    assert post(dict(job, config={"dataset_id": "d-1", "datasetId": "d-3"})).status_code == 400
    assert len(reached(fake, "prompt-optimization/jobs")) == n
    # jobs by id resolve to their experiment: cancelling needs EDIT, deleting MANAGE
    assert requests.get(g.url + V3 + "/prompt-optimization/jobs/pj-1", auth=ALICE).status_code == 200
    assert requests.post(g.url + V3 + "/prompt-optimization/jobs/pj-1/cancel", auth=ALICE).status_code == 200
    assert requests.delete(g.url + V3 + "/prompt-optimization/jobs/pj-1", auth=ALICE).status_code == 403
    # an administrator may do all of it
    assert requests.post(g.url + V3 + "/prompt-optimization/jobs", json=dict(job, config={"dataset_id": "d-3"}),
                         auth=BOB).status_code == 200


def test_who_did_it_is_the_authenticated_user(gateway_factory, fake):
    """created_by (issues, review queues), completed_by (a reviewed item) and
    a HUMAN assessment's source_id reach MLflow as the caller, whatever the
    client wrote; a judge's assessment keeps its judge."""
    import json
    g = start(gateway_factory, fake)
    fake.traces["tr-1"] = "1"
    fake.review_queues["rq-1"] = "1"
    g.cli("grant", "alice", "EDIT", "experiment", "1")
    post = lambda path, body: requests.post(g.url + V3 + path, json=body, auth=ALICE)  # noqa: E731
    assert post("/issues", {"experiment_id": "1", "name": "n", "created_by": "bob"}).status_code == 200
    assert post("/review-queues/create", {"experiment_id": "1", "name": "q", "queue_type": "CUSTOM"}).status_code == 200
    assert post("/review-queues/items/set-status", {"queue_id": "rq-1", "item_id": "tr-1", "status": "COMPLETE",
                                                    "completedBy": "bob"}).status_code == 200
    assert post("/traces/tr-1/assessments", {"assessment": {"name": "ok", "source": {
        "source_type": "HUMAN", "source_id": "bob"}}}).status_code == 200
    assert post("/traces/tr-1/assessments", {"assessment": {"name": "judge", "source": {
        "source_type": "LLM_JUDGE", "source_id": "gpt-judge"}}}).status_code == 200
    bodies = {r.path: json.loads(r.body) for r in fake.seen() if r.method == "POST"}
    assert bodies[V3 + "/issues"]["created_by"] == "alice"
    assert bodies[V3 + "/review-queues/create"]["created_by"] == "alice"
    item = bodies[V3 + "/review-queues/items/set-status"]
    assert item["completed_by"] == "alice" and "completedBy" not in item
    sources = [json.loads(r.body)["assessment"]["source"] for r in fake.seen() if r.path.endswith("/assessments")]
    assert sources == [{"source_type": "HUMAN", "source_id": "alice"},
                       {"source_type": "LLM_JUDGE", "source_id": "gpt-judge"}]
