"""MLflow's auth REST API served by mlgate (the calls AuthServiceClient
makes, with its verbs, fields and answer shapes) and mlgate's own API for
groups, grants and tokens. None of it reaches MLflow."""
import pytest
import requests

from conftest import USERS
from test_authz import until

ALICE = ("alice", USERS["alice"])  # administrator here
BOB = ("bob", USERS["bob"])
A = "/api/2.0/mlflow"
M = "/api/2.0/mlgate"

# The whole suite runs on both stores: the embedded SQLite and PostgreSQL.
pytestmark = pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"], indirect=True)


def test_auth_service_client_calls(gateway_factory, fake):
    g = gateway_factory(admins=("alice",), args=["--default-permission", "NO_PERMISSIONS"])
    u = g.url
    # create_user
    r = requests.post(u + A + "/users/create", json={"username": "carol", "password": "carol-pw-123"}, auth=ALICE)
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["username"] == "carol" and user["is_admin"] is False and isinstance(user["id"], int)
    assert user["experiment_permissions"] == [] and user["registered_model_permissions"] == []
    carol = ("carol", "carol-pw-123")
    assert requests.get(u + "/version", auth=carol).status_code == 200  # logs in at once
    r = requests.post(u + A + "/users/create", json={"username": "carol", "password": "x"}, auth=ALICE)
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    # only admins manage users; users read themselves
    assert requests.post(u + A + "/users/create", json={"username": "eve", "password": "p"}, auth=BOB).status_code == 403
    assert requests.get(u + A + "/users/get", params={"username": "carol"}, auth=carol).status_code == 200
    assert requests.get(u + A + "/users/get", params={"username": "alice"}, auth=carol).status_code == 403
    r = requests.get(u + A + "/users/get", params={"username": "nobody"}, auth=ALICE)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # create_experiment_permission and friends
    fake.experiments["9"] = "e9"
    assert requests.get(u + A + "/experiments/get?experiment_id=9", auth=carol).status_code == 403
    r = requests.post(u + A + "/experiments/permissions/create",
                      json={"experiment_id": "9", "username": "carol", "permission": "READ"}, auth=ALICE)
    assert r.status_code == 200
    assert r.json() == {"experiment_permission": {"experiment_id": "9", "user_id": user["id"], "permission": "READ"}}
    until(lambda: requests.get(u + A + "/experiments/get?experiment_id=9", auth=carol).status_code == 200)
    r = requests.get(u + A + "/experiments/permissions/get", params={"experiment_id": "9", "username": "carol"},
                     auth=ALICE)
    assert r.json()["experiment_permission"]["permission"] == "READ"
    r = requests.patch(u + A + "/experiments/permissions/update",
                       json={"experiment_id": "9", "username": "carol", "permission": "MANAGE"}, auth=ALICE)
    assert r.status_code == 200 and r.json() == {}
    # carol now manages experiment 9, so she may grant on it -- and nothing else
    r = requests.post(u + A + "/experiments/permissions/create",
                      json={"experiment_id": "9", "username": "bob", "permission": "EDIT"}, auth=carol)
    assert r.status_code == 200
    r = requests.post(u + A + "/experiments/permissions/create",
                      json={"experiment_id": "1", "username": "carol", "permission": "MANAGE"}, auth=carol)
    assert r.status_code == 403
    r = requests.post(u + A + "/experiments/permissions/create",
                      json={"experiment_id": "9", "username": "bob", "permission": "EDIT"}, auth=ALICE)
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    r = requests.post(u + A + "/experiments/permissions/create",
                      json={"experiment_id": "9", "username": "bob", "permission": "OWNER"}, auth=ALICE)
    assert r.status_code == 400
    r = requests.delete(u + A + "/experiments/permissions/delete", json={"experiment_id": "9", "username": "bob"},
                        auth=ALICE)
    assert r.status_code == 200
    r = requests.get(u + A + "/experiments/permissions/get", params={"experiment_id": "9", "username": "bob"},
                     auth=ALICE)
    assert r.status_code == 404
    # registered models
    r = requests.post(u + A + "/registered-models/permissions/create",
                      json={"name": "churn", "username": "carol", "permission": "EDIT"}, auth=ALICE)
    assert r.json() == {"registered_model_permission": {"name": "churn", "user_id": user["id"], "permission": "EDIT"}}
    r = requests.get(u + A + "/users/get", params={"username": "carol"}, auth=carol).json()["user"]
    assert r["experiment_permissions"] == [{"experiment_id": "9", "user_id": user["id"], "permission": "MANAGE"}]
    assert r["registered_model_permissions"] == [{"name": "churn", "user_id": user["id"], "permission": "EDIT"}]
    # update_user_password (self), update_user_admin, delete_user
    r = requests.patch(u + A + "/users/update-password", json={"username": "carol", "password": "new-pw-456"},
                       auth=carol)
    assert r.status_code == 200
    until(lambda: requests.get(u + "/version", auth=carol).status_code == 401)
    carol = ("carol", "new-pw-456")
    assert requests.get(u + "/version", auth=carol).status_code == 200
    r = requests.patch(u + A + "/users/update-admin", json={"username": "carol", "is_admin": True}, auth=carol)
    assert r.status_code == 403
    r = requests.patch(u + A + "/users/update-admin", json={"username": "carol", "is_admin": True}, auth=ALICE)
    assert r.status_code == 200
    until(lambda: requests.get(u + A + "/users/list", auth=carol).status_code == 200)
    names = [x["username"] for x in requests.get(u + A + "/users/list", auth=carol).json()["users"]]
    assert "carol" in names and "alice" in names
    assert requests.delete(u + A + "/users/delete", json={"username": "carol"}, auth=ALICE).status_code == 200
    until(lambda: requests.get(u + "/version", auth=carol).status_code == 401)
    # the ajax twin is the same API
    assert requests.get(u + "/ajax-api/2.0/mlflow/users/list", auth=ALICE).status_code == 200
    # nothing of this reached MLflow
    assert [r.path for r in fake.seen() if "/users/" in r.path or "/permissions/" in r.path] == []


def test_mlgate_groups_grants_tokens(gateway_factory, fake):
    g = gateway_factory(admins=("alice",), args=["--default-permission", "NO_PERMISSIONS"])
    u = g.url
    fake.experiments["31"] = "team-x/a"
    assert requests.post(u + M + "/groups/create", json={"name": "team-x"}, auth=BOB).status_code == 403
    assert requests.post(u + M + "/groups/create", json={"name": "team-x"}, auth=ALICE).status_code == 200
    assert requests.post(u + M + "/groups/members/add", json={"group": "team-x", "username": "bob"},
                         auth=ALICE).status_code == 200
    r = requests.post(u + M + "/grants/set", json={"principal": "@team-x", "kind": "pattern", "resource": "team-x/*",
                                                   "permission": "READ"}, auth=ALICE)
    assert r.status_code == 200
    until(lambda: requests.get(u + A + "/experiments/get?experiment_id=31", auth=BOB).status_code == 200)
    grants = requests.get(u + M + "/grants/list", auth=ALICE).json()["grants"]
    assert {"principal": "@team-x", "kind": "pattern", "resource": "team-x/*", "permission": "READ"} in grants
    assert requests.get(u + M + "/groups/list", auth=ALICE).json()["groups"] == [{"name": "team-x", "members": ["bob"]}]
    me = requests.get(u + M + "/whoami", auth=BOB).json()
    assert me["username"] == "bob" and me["groups"] == ["team-x"] and me["is_admin"] is False
    # tokens: one's own
    r = requests.post(u + M + "/tokens/create", json={"name": "laptop", "expires_in_days": 30}, auth=BOB)
    assert r.status_code == 200
    tok = r.json()["token"]
    h = {"Authorization": "Bearer " + tok}
    assert requests.get(u + A + "/experiments/get?experiment_id=31", headers=h).status_code == 200
    assert requests.post(u + M + "/tokens/create", json={"name": "x", "username": "alice"}, auth=BOB).status_code == 403
    listed = requests.get(u + M + "/tokens/list", auth=BOB).json()["tokens"]
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    r = requests.post(u + M + "/tokens/create", json={"name": "a-tok"}, auth=ALICE)
    alice_tok_id = r.json()["id"]
    assert requests.delete(u + M + "/tokens/revoke", json={"id": alice_tok_id}, auth=BOB).status_code == 404
    assert requests.delete(u + M + "/tokens/revoke", json={"id": r.json()["id"]}, auth=ALICE).status_code == 200
    assert requests.delete(u + M + "/tokens/revoke", json={"id": listed[0]["id"]}, auth=BOB).status_code == 200
    until(lambda: requests.get(u + A + "/experiments/get?experiment_id=31", headers=h).status_code == 401)
    # revoke the group's pattern: access goes
    r = requests.delete(u + M + "/grants/revoke", json={"principal": "@team-x", "kind": "pattern",
                                                        "resource": "team-x/*"}, auth=ALICE)
    assert r.status_code == 200
    until(lambda: requests.get(u + A + "/experiments/get?experiment_id=31", auth=BOB).status_code == 403)
    assert requests.post(u + M + "/grants/set", json={"principal": "@nope", "kind": "model", "resource": "m",
                                                      "permission": "READ"}, auth=ALICE).status_code == 404
    assert requests.post(u + M + "/grants/set", json={"principal": "bob", "kind": "bucket", "resource": "m",
                                                      "permission": "READ"}, auth=ALICE).status_code == 400
    assert fake.seen_lookups() == [] or all("mlgate" not in r.path for r in fake.seen_lookups())
    assert all("/mlgate/" not in r.path for r in fake.seen())
