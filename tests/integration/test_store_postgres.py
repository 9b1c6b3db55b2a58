"""The identity store on a real PostgreSQL: the same CLI and the same gateway
behaviour as with SQLite, and two gateway instances sharing one store."""
import re
import subprocess
import time

import requests

from conftest import BIN, Gateway

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
    assert postgres.psql(uri, "SELECT max(version) FROM schema_migrations") == [["2"]]
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
