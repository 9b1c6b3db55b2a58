"""The identity store on a real PostgreSQL: the same CLI and the same gateway
behaviour as with SQLite, and two gateway instances sharing one store."""
import re
import subprocess
import time

import requests

from conftest import BIN, USERS, Gateway

API = "/version"  # echoed by the fake MLflow; open to every authenticated user


def mg(uri, *args, input=None):
    return subprocess.run([BIN, *args, "--store", uri], capture_output=True, text=True, timeout=30, input=input)


def test_cli_on_postgres(postgres):
    uri = postgres.new_database()
    assert mg(uri, "user", "add", "alice", "--stdin", input="pw\n").returncode == 0
    dup = mg(uri, "user", "add", "alice", "--stdin", input="pw\n")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    assert mg(uri, "group", "add", "team-a").returncode == 0
    assert mg(uri, "group", "member", "add", "team-a", "alice").returncode == 0
    assert mg(uri, "grant", "@team-a", "EDIT", "experiment", "1").returncode == 0
    assert mg(uri, "grant", "@team-a", "MANAGE", "experiment", "1").returncode == 0
    assert mg(uri, "grant", "@ghost", "READ", "experiment", "1").returncode == 1
    assert postgres.psql(uri, "SELECT principal, level FROM grants") == [["team-a", "MANAGE"]]
    assert postgres.psql(uri, "SELECT max(version) FROM schema_migrations") == [["4"]]
    tok = mg(uri, "token", "create", "--user", "alice", "--name", "ci").stdout.strip()
    assert re.fullmatch(r"mlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", tok)
    assert mg(uri, "group", "del", "team-a").returncode == 0
    assert postgres.psql(uri, "SELECT count(*) FROM grants") == [["0"]]
    assert mg(uri, "user", "del", "alice").returncode == 0
    assert postgres.psql(uri, "SELECT count(*) FROM tokens") == [["0"]]


def test_two_gateways_share_the_store(postgres, fake, tmp_path):
    uri = postgres.new_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    gws = [Gateway(tmp_path / n, fake.port, extra_yaml=f"store: \"{uri}\"\n") for n in ("a", "b")]
    try:
        assert mg(uri, "user", "add", "carol", "--stdin", input="carol-pw\n").returncode == 0
        for g in gws:  # a user created once logs in through every instance
            r = requests.get(g.url + API, auth=("carol", "carol-pw"))
            assert r.status_code == 200 and r.json()["user"] == "carol"
        tok = mg(uri, "token", "create", "--user", "carol", "--name", "laptop").stdout.strip()
        for g in gws:
            assert requests.get(g.url + API, headers={"Authorization": "Bearer " + tok}).status_code == 200
        assert mg(uri, "token", "revoke", tok[4:20]).returncode == 0
        time.sleep(1.05)
        for g in gws:  # revoked everywhere within a second
            for _ in range(5):
                r = requests.get(g.url + API, headers={"Authorization": "Bearer " + tok, "Connection": "close"})
                assert r.status_code == 401
        rows = postgres.psql(uri, "SELECT last_login IS NOT NULL FROM users WHERE username = 'carol'")
        assert rows == [["t"]]
    finally:
        for g in gws:
            assert g.stop() == 0, g.errors()


def test_grant_through_one_gateway_enforced_by_the_other(postgres, fake, tmp_path):
    """Two instances on one PostgreSQL store: a permission granted through
    A's API (MLflow's own endpoint) is enforced by B within a second, and so
    is its removal; a model created through B gives its creator MANAGE on A."""
    uri = postgres.new_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    fake.experiments["77"] = "shared"
    yaml = f"store: \"{uri}\"\ndefault_permission: NO_PERMISSIONS\n"
    a, b = (Gateway(tmp_path / n, fake.port, extra_yaml=yaml, admins=("alice",)) for n in ("a", "b"))
    alice, bob = ("alice", USERS["alice"]), ("bob", USERS["bob"])
    try:
        exp = "/api/2.0/mlflow/experiments/get?experiment_id=77"
        assert requests.get(b.url + exp, auth=bob).status_code == 403
        r = requests.post(a.url + "/api/2.0/mlflow/experiments/permissions/create",
                          json={"experiment_id": "77", "username": "bob", "permission": "READ"}, auth=alice)
        assert r.status_code == 200
        t0 = time.time()
        while requests.get(b.url + exp, auth=bob).status_code != 200:
            assert time.time() - t0 < 1.5, "grant not seen by the other instance"
            time.sleep(0.05)
        r = requests.delete(a.url + "/api/2.0/mlflow/experiments/permissions/delete",
                            json={"experiment_id": "77", "username": "bob"}, auth=alice)
        assert r.status_code == 200
        t0 = time.time()
        while requests.get(b.url + exp, auth=bob).status_code != 403:
            assert time.time() - t0 < 1.5, "revocation not seen by the other instance"
            time.sleep(0.05)
        r = requests.post(b.url + "/api/2.0/mlflow/registered-models/create", json={"name": "shared-m"}, auth=bob)
        assert r.status_code == 200
        t0 = time.time()
        while requests.delete(a.url + "/api/2.0/mlflow/registered-models/delete", json={"name": "shared-m"},
                              auth=bob).status_code != 200:
            assert time.time() - t0 < 1.5
            time.sleep(0.05)
    finally:
        for g in (a, b):
            assert g.stop() == 0, g.errors()
