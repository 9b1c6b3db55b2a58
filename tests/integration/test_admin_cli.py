"""Identity-store administration from the command line: users, groups,
grants, tokens (issue 3's CLI, working directly on the store)."""
import json
import os
import re
import sqlite3
import stat
import subprocess

from conftest import BIN


def mg(tmp_path, *args, input=None):
    return subprocess.run([BIN, *args, "--store", f"sqlite:///{tmp_path}/s.db"], capture_output=True, text=True,
                          timeout=30, input=input, cwd=tmp_path)


def test_users(tmp_path):
    assert mg(tmp_path, "user", "add", "alice", "--stdin", input="pw-a\n").returncode == 0
    assert mg(tmp_path, "user", "add", "root", "--admin", "--stdin", input="pw-r\n").returncode == 0
    dup = mg(tmp_path, "user", "add", "alice", "--stdin", input="x\n")
    assert dup.returncode == 1 and 'user "alice" already exists' in dup.stderr
    bad = mg(tmp_path, "user", "add", "a:b", "--stdin", input="x\n")
    assert bad.returncode == 1 and "invalid user name" in bad.stderr
    out = mg(tmp_path, "user", "list").stdout
    assert re.search(r"^alice\s+no\s+no\s", out, re.M) and re.search(r"^root\s+yes\s", out, re.M)
    assert mg(tmp_path, "user", "admin", "alice", "on").returncode == 0
    assert re.search(r"^alice\s+yes\s", mg(tmp_path, "user", "list").stdout, re.M)
    assert mg(tmp_path, "user", "admin", "ghost", "on").returncode == 1
    assert mg(tmp_path, "user", "passwd", "alice", "--stdin", input="pw-a2\n").returncode == 0
    db = sqlite3.connect(tmp_path / "s.db")
    h = db.execute("SELECT password_hash FROM users WHERE username='alice'").fetchone()[0]
    assert h.startswith("$2y$12$")
    # the hash is a real bcrypt of the new password (htpasswd -v checks it)
    (tmp_path / "h").write_text(f"alice:{h}\n")
    assert subprocess.run(["htpasswd", "-vb", str(tmp_path / "h"), "alice", "pw-a2"], capture_output=True).returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "s.db").st_mode) == 0o600
    assert mg(tmp_path, "user", "del", "alice").returncode == 0
    assert mg(tmp_path, "user", "del", "alice").returncode == 1
    assert mg(tmp_path, "user", "bogus").returncode == 2


def test_groups_and_grants(tmp_path):
    assert mg(tmp_path, "group", "add", "team-a").returncode == 0
    assert mg(tmp_path, "group", "add", "team-a").returncode == 1
    assert mg(tmp_path, "group", "member", "add", "team-a", "alice").returncode == 0
    assert mg(tmp_path, "group", "member", "add", "team-a", "htpasswd-only-user").returncode == 0
    assert mg(tmp_path, "group", "member", "add", "nope", "alice").returncode == 1
    assert mg(tmp_path, "group", "list").stdout == "team-a: alice htpasswd-only-user\n"
    assert mg(tmp_path, "grant", "@team-a", "EDIT", "experiment", "1").returncode == 0
    assert mg(tmp_path, "grant", "alice", "READ", "model", "churn").returncode == 0
    assert mg(tmp_path, "grant", "alice", "MANAGE", "model", "churn").returncode == 0  # update, not a second row
    assert mg(tmp_path, "grant", "bob", "MANAGE", "pattern", "team-a/*").returncode == 0
    r = mg(tmp_path, "grant", "@ghost", "READ", "experiment", "1")
    assert r.returncode == 1 and "no such group" in r.stderr
    assert "LEVEL must be" in mg(tmp_path, "grant", "alice", "WRITE", "experiment", "1").stderr
    assert "experiment ids are numbers" in mg(tmp_path, "grant", "alice", "READ", "experiment", "x").stderr
    assert "resource must be" in mg(tmp_path, "grant", "alice", "READ", "run", "1").stderr
    listing = mg(tmp_path, "grant", "--list").stdout.splitlines()
    assert [l.split() for l in listing[1:]] == [
        ["alice", "MANAGE", "model", "churn"], ["bob", "MANAGE", "pattern", "team-a/*"],
        ["@team-a", "EDIT", "experiment", "1"]]
    assert mg(tmp_path, "revoke", "alice", "model", "churn").returncode == 0
    assert mg(tmp_path, "revoke", "alice", "model", "churn").returncode == 1
    assert mg(tmp_path, "group", "del", "team-a").returncode == 0
    assert [l.split()[0] for l in mg(tmp_path, "grant", "--list").stdout.splitlines()[1:]] == ["bob"]


def test_tokens(tmp_path):
    r = mg(tmp_path, "token", "create", "--user", "alice", "--name", "ci", "--expires", "90d")
    assert r.returncode == 0
    token = r.stdout.strip()
    assert re.fullmatch(r"mlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", token)
    assert "only time the token is shown" in r.stderr
    assert mg(tmp_path, "token", "create", "--user", "alice", "--name", "ci").returncode == 1
    assert mg(tmp_path, "token", "create", "--user", "alice", "--name", "x", "--expires", "soon").returncode == 2
    listing = mg(tmp_path, "token", "list", "--user", "alice").stdout
    tid = token[4:20]
    assert tid in listing and token[21:] not in listing
    db = sqlite3.connect(tmp_path / "s.db")
    (stored,) = db.execute("SELECT secret_hash FROM tokens").fetchone()
    assert token[21:] not in stored and len(stored) == 64
    assert mg(tmp_path, "token", "revoke", tid).returncode == 0
    assert mg(tmp_path, "token", "revoke", tid).returncode == 1


def test_default_store_location(tmp_path):
    r = subprocess.run([BIN, "group", "add", "g"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "var").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "var" / "mlgate.db").st_mode) == 0o600
    bad = subprocess.run([BIN, "group", "list", "--store", "mysql://x"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 1 and "expected sqlite:///PATH" in bad.stderr


def test_access_review(tmp_path):
    for args in [("user", "add", "alice", "--stdin"), ("user", "add", "root", "--admin", "--stdin")]:
        assert mg(tmp_path, *args, input="pw\n").returncode == 0
    assert mg(tmp_path, "group", "add", "team-a").returncode == 0
    assert mg(tmp_path, "group", "member", "add", "team-a", "alice").returncode == 0
    assert mg(tmp_path, "grant", "@team-a", "EDIT", "experiment", "1").returncode == 0
    assert mg(tmp_path, "grant", "bob", "MANAGE", "pattern", "team-a/*").returncode == 0
    assert mg(tmp_path, "grant", "carol", "READ", "model", "churn").returncode == 0
    assert mg(tmp_path, "token", "create", "--user", "alice", "--name", "old").returncode == 0
    csv = mg(tmp_path, "access-review", "--format", "csv").stdout.splitlines()
    assert csv[0] == "user,source,via,resource_kind,resource,level"
    assert sorted(csv[1:]) == sorted([
        "root,admin,-,*,*,MANAGE", "bob,pattern,-,pattern,team-a/*,MANAGE", "carol,direct,-,model,churn,READ",
        "alice,group,@team-a,experiment,1,EDIT", "*,default,-,*,*,READ"])
    doc = json.loads(mg(tmp_path, "access-review", "--format", "json").stdout)
    assert {u["name"] for u in doc["unused"] if u["kind"] == "user"} == {"alice", "root"}
    assert [u["name"] for u in doc["unused"] if u["kind"] == "token"] == ["alice/old"]
    # default_permission from the config file shows up
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"default_permission: NO_PERMISSIONS\nstore: sqlite:///{tmp_path}/s.db\n")
    text = subprocess.run([BIN, "access-review", "-c", str(cfg)], capture_output=True, text=True).stdout
    assert re.search(r"^\*\s+default\s+-\s+\*\s+\*\s+NO_PERMISSIONS$", text, re.M)
    assert "never logged in" in text
    assert mg(tmp_path, "access-review", "--format", "xml").returncode == 2
