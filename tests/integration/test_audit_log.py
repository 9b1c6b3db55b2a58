"""The audit log the gateway writes: one record per MLflow change (done by
MLflow or refused by mlgate), registry changes named, admin-API changes as
durable security events without secrets, reads not recorded; the chain
verifies with `mlgate audit verify`, also across a SIGUSR1 rotation."""
import datetime
import json
import os
import signal
import subprocess
import time

import requests

from conftest import BIN, USERS
from test_authz import until

ALICE = ("alice", USERS["alice"])  # administrator
BOB = ("bob", USERS["bob"])
API = "/api/2.0/mlflow"


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def verify(g, *files):
    return subprocess.run([BIN, "audit", "verify", "--key-file", str(g.tmp / "var" / "audit.key"),
                           *map(str, files)], capture_output=True, text=True, timeout=30)


def test_changes_are_recorded_and_verify(gateway_factory, fake):
    g = gateway_factory(admins=("alice",))
    log = g.tmp / "var" / "audit.log"
    assert oct(os.stat(g.tmp / "var" / "audit.key").st_mode & 0o777) == "0o600"
    u = g.url
    t0 = time.time()
    assert requests.post(u + API + "/registered-models/create", json={"name": "churn"}, auth=ALICE).status_code == 200
    assert requests.post(u + API + "/registered-models/rename", json={"name": "churn", "new_name": "churn2"},
                         auth=ALICE).status_code == 200
    assert requests.get(u + API + "/registered-models/get?name=churn2", auth=ALICE).status_code in (200, 404)
    r = requests.post(u + API + "/experiments/update", json={"experiment_id": "1", "new_name": "x"}, auth=BOB)
    assert r.status_code == 403  # default READ: refused, and recorded as refused
    r = requests.post(u + API + "/experiments/search", json={"max_results": 1}, auth=ALICE)  # a read
    assert r.status_code == 200
    r = requests.post(u + API + "/users/create", json={"username": "carol", "password": "secret-pw-1"}, auth=ALICE)
    assert r.status_code == 200
    assert requests.delete(u + API + "/registered-models/delete", json={"name": "churn2"},
                           auth=ALICE).status_code == 200
    until(lambda: log.exists() and len(records(log)) >= 10)
    time.sleep(0.3)  # group commit
    everything = records(log)
    logins = [(r["action"], r["user"], r["auth"]) for r in everything if r["action"].startswith("Login")]
    assert logins == [("Login", "alice", "password"), ("Login", "bob", "password")], logins  # verifications, not cache hits
    everything = [r for r in everything if not r["action"].startswith("Login")]
    # every change MLflow was asked to make was recorded (intent) before it was asked
    intents = {r["request_id"]: r for r in everything if r.get("phase") == "intent"}
    recs = [r for r in everything if r.get("phase") != "intent"]
    for r in recs:
        assert (r.get("phase") == "done") == (r["request_id"] in intents), r
        if r.get("phase") == "done":
            assert intents[r["request_id"]]["seq"] < r["seq"] and intents[r["request_id"]]["action"] == r["action"]
    actions = [(r["action"], r["user"], r["outcome"]["status"], r["outcome"]["by"]) for r in recs]
    assert actions == [("CreateRegisteredModel", "alice", 200, "mlflow"),
                       ("RenameRegisteredModel", "alice", 200, "mlflow"),
                       ("UpdateExperiment", "bob", 403, "mlgate"),
                       ("AuthCreateUser", "alice", 200, "mlgate"),
                       ("DeleteRegisteredModel", "alice", 200, "mlflow")], actions
    assert recs[0]["resource"] == {"model": ["churn"]} and intents[recs[0]["request_id"]]["auth"] == "password"
    assert recs[2]["resource"] == {"experiment": ["1"]}
    assert recs[3]["event"] == "security" and recs[3]["resource"] == {"username": "carol"}
    assert "secret-pw-1" not in log.read_text()
    assert [r["seq"] for r in records(log)] == list(range(1, 11))
    assert all(r["request_id"] and r["time"].endswith("Z") for r in recs)
    # the time is the wall clock's (kept by each worker as an offset from its loop's clock), to the millisecond
    t1 = time.time()
    for r in records(log):
        ts = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        assert t0 - 0.05 <= ts.timestamp() <= t1 + 0.05, (r["time"], t0, t1)
        if r.get("phase") == "done":
            assert r["time"] >= intents[r["request_id"]]["time"], (r, intents[r["request_id"]])
    # how and from where a change came is in its intent (and in a refusal,
    # which stands alone); its done record repeats who, what, which, outcome
    for r in list(intents.values()) + [r for r in recs if r.get("phase") == "refused"]:
        assert r["ip"] == "127.0.0.1" and r["auth"] == "password" and r["method"] in ("POST", "DELETE") \
            and r["path"].startswith(API), r
    for r in recs:
        if r.get("phase") == "done":
            i = intents[r["request_id"]]
            assert not {"ip", "auth", "method", "path"} & r.keys(), r
            assert (r["user"], r["action"], r["event"]) == (i["user"], i["action"], i["event"]), (r, i)
    r = verify(g, log)
    assert r.returncode == 0 and "intact: 10 record(s)" in r.stdout, r.stdout + r.stderr
    # the head file names the last committed record (group commit: within a
    # tenth of a second, later on a loaded machine)
    head = g.tmp / "var" / "audit.log.head"
    until(lambda: head.exists() and head.read_text().split()[0] == "10")
    # mlgate audit query: globs on action and resource, user, time bounds, text or JSON
    def query(*args):
        r = subprocess.run([BIN, "audit", "query", *args, str(log)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    got = [json.loads(x) for x in query("--action", "*RegisteredModel", "--json").splitlines()]
    assert [(x["action"], x["phase"]) for x in got] == [
        ("CreateRegisteredModel", "intent"), ("CreateRegisteredModel", "done"), ("RenameRegisteredModel", "intent"),
        ("RenameRegisteredModel", "done"), ("DeleteRegisteredModel", "intent"), ("DeleteRegisteredModel", "done")]
    got = [json.loads(x) for x in query("--user", "bob", "--json").splitlines()]
    assert [x["action"] for x in got] == ["Login", "UpdateExperiment"]
    got = [json.loads(x) for x in query("--resource", "churn2", "--json").splitlines()]
    assert [x["action"] for x in got] == ["DeleteRegisteredModel", "DeleteRegisteredModel"]
    text = query("--user", "bob", "--action", "Update*")
    assert "UpdateExperiment" in text and " 403 mlgate " in text and len(text.splitlines()) == 1
    assert query("--since", "2999-01-01", "--json") == ""
    assert len(query("--until", "2999", "--json").splitlines()) == 10
    # a failed login is a security event too
    assert requests.get(u + "/version", auth=("alice", "wrong")).status_code == 401
    until(lambda: records(log)[-1]["action"] == "LoginFailed")
    assert records(log)[-1]["user"] == "alice" and records(log)[-1]["outcome"]["status"] == 401


def test_rotation_continues_the_chain(gateway_factory, fake):
    g = gateway_factory(admins=("alice",))
    log = g.tmp / "var" / "audit.log"
    requests.post(g.url + API + "/experiments/create", json={"name": "a"}, auth=ALICE)
    until(lambda: log.exists() and len(records(log)) == 3)  # login, intent, done
    os.rename(log, str(log) + ".1")
    g.signal(signal.SIGUSR1)
    time.sleep(0.3)
    requests.post(g.url + API + "/experiments/create", json={"name": "b"}, auth=ALICE)
    until(lambda: log.exists() and len(records(log)) == 2)
    time.sleep(0.3)
    assert records(log)[0]["seq"] == 4
    r = verify(g, str(log) + ".1", log)
    assert r.returncode == 0 and "intact: 5 record(s)" in r.stdout, r.stdout + r.stderr
    # a restarted gateway continues the chain too
    assert g.stop() == 0
    g.start()
    requests.post(g.url + API + "/experiments/create", json={"name": "c"}, auth=ALICE)
    until(lambda: len(records(log)) == 5)  # a new process verifies the password again: a login
    time.sleep(0.3)
    r = verify(g, str(log) + ".1", log)
    assert r.returncode == 0 and "intact: 8 record(s)" in r.stdout, r.stdout + r.stderr


def test_full_disk_refuses_changes_and_loses_nothing(gateway_factory, fake, tmp_path):
    """The audit log's file may grow to 1 MB (RLIMIT_FSIZE, as a full disk
    would stop it), and it is pre-filled to just under: the next change is
    recorded and done, the one after cannot be recorded and is refused with
    503, reads go on; every change that was answered 200 has its records, and
    the chain still verifies (the partial write was cut away)."""
    import hashlib
    import hmac
    from test_audit_cli import records as chain
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    key = os.urandom(32)
    (var / "audit.key").write_bytes(key)
    os.chmod(var / "audit.key", 0o600)
    limit = 1_000_000
    lines, _ = chain(4000, key=key)  # ~290 bytes each: more than the limit holds
    body = "\n".join(lines) + "\n"
    while len(body) > limit - 1600:  # room for alice's login and one change (intent and done)
        lines.pop()
        body = "\n".join(lines) + "\n"
    (var / "audit.log").write_text(body)
    g = gateway_factory(admins=("alice",), start=False)
    g.fsize_limit = limit
    g.start()
    statuses = []
    for i in range(4):
        r = requests.post(g.url + API + "/experiments/create", json={"name": f"full-{i}"}, auth=ALICE)
        statuses.append((r.status_code, r.headers.get("X-Request-Id")))
    assert statuses[0][0] == 200, statuses
    assert [s for s, _ in statuses[1:]] == [503, 503, 503], statuses
    assert requests.get(g.url + API + "/experiments/get?experiment_id=0", auth=ALICE).status_code == 200
    assert len([r for r in fake.seen() if r.path.endswith("experiments/create")]) == 1  # nothing else changed
    assert g.stop() == 0
    recs = records(var / "audit.log")[len(lines):]
    assert [(r.get("phase"), r["request_id"]) for r in recs if r["action"] != "Login"] == [
        ("intent", statuses[0][1]), ("done", statuses[0][1])]
    r = verify(g, var / "audit.log")
    assert r.returncode == 0 and f"intact: {len(lines) + len(recs)} record(s)" in r.stdout, r.stdout + r.stderr
    assert "cannot write the audit log" in g.errors()


def test_admin_commands_are_audited(gateway_factory, fake):
    """Changes made with the admin commands (directly on the store) reach the
    running gateway's audit log as security records within a second; one
    made while no gateway runs waits in the store; reads leave nothing."""
    g = gateway_factory(admins=("alice",))  # `user admin alice on` ran before the gateway started
    log = g.tmp / "var" / "audit.log"
    g.cli("group", "add", "team-a")
    g.cli("grant", "@team-a", "READ", "experiment", "1")
    tok = g.cli("token", "create", "--user", "bob", "--name", "ci").stdout.strip()
    g.cli("user", "add", "carol", "--stdin", input="carol-secret-pw\n")
    g.cli("group", "list")
    g.cli("token", "list")

    def cli_records():
        return [r for r in records(log) if r.get("auth") == "cli"] if log.exists() else []
    until(lambda: len(cli_records()) >= 5)
    time.sleep(0.5)
    recs = cli_records()
    assert [r["action"] for r in recs] == ["CliUserAdmin", "CliGroupAdd", "CliGrant", "CliTokenCreate",
                                           "CliUserAdd"], recs
    assert recs[2]["resource"]["args"] == ["grant", "@team-a", "READ", "experiment", "1"]
    assert all(r["event"] == "security" and r["outcome"]["by"] == "mlgate-cli" and r["user"] for r in recs)
    text = open(log).read()
    assert tok[21:] not in text and "carol-secret-pw" not in text
    assert verify(g, log).returncode == 0
    # while no gateway runs the record waits in the store, and is written at the next start
    g.stop()
    g.cli("revoke", "@team-a", "experiment", "1")
    g.start()
    until(lambda: len(cli_records()) == 6)
    assert cli_records()[-1]["action"] == "CliRevoke"
    assert verify(g, log).returncode == 0


def test_syslog_copy(gateway_factory, fake, tmp_path):
    """audit.syslog: every record also goes to syslog (authpriv, tag
    mlgate-audit). The gateway runs in a private mount namespace whose
    /dev/log is this test's datagram socket."""
    import socket
    sock_path = tmp_path / "log.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(sock_path))
    s.settimeout(5)
    dev = tmp_path / "dev"
    dev.mkdir()
    script = (f"set -e; mount -t tmpfs tmpfs {dev}; "
              f"for d in null zero random urandom; do touch {dev}/$d; mount --bind /dev/$d {dev}/$d; done; "
              f"touch {dev}/log; mount --bind {sock_path} {dev}/log; mount --rbind {dev} /dev; exec \"$@\"")
    g = gateway_factory(extra_yaml="audit:\n  syslog: true\n", admins=("alice",), start=False)
    g.wrap = ["unshare", "--mount", "sh", "-c", script, "sh"]
    g.start()
    try:
        assert requests.post(g.url + API + "/registered-models/create", json={"name": "churn"},
                             auth=ALICE).status_code == 200
        got = []
        while len(got) < 3:  # the login, the intent, the done record (in some order of arrival)
            got.append(s.recv(65536).decode())
    finally:
        s.close()
    # <facility authpriv (10) * 8 + notice (5)> = <85>
    assert all(m.startswith("<85>") and "mlgate-audit[" in m for m in got), got
    in_file = records(g.tmp / "var" / "audit.log")
    sent = [json.loads(m[m.index("{"):]) for m in got]
    assert [r["seq"] for r in sent] == [r["seq"] for r in in_file[:3]]
    assert sent == in_file[:3]   # the very records of the file, chain fields included


def test_records_escape_what_they_quote(gateway_factory, fake):
    """Names with quotes, backslashes, control characters and non-ASCII text
    are written as valid JSON that reads back to the same name, and verify."""
    g = gateway_factory(admins=("alice",))
    # plain runs are copied eight bytes at a time: specials at every offset of a word
    names = ['we"ird\\name\x01\u00e9\u4e2d\U0001f600'] + [
        "abcdefghijklmnop"[:k] + special + "qrstuvwx"[:k % 5] for k in range(0, 17, 3)
        for special in ('"', "\\", "\x7f", "\x1f", "\u00e9")]
    for name in names:
        r = requests.post(g.url + API + "/registered-models/create", json={"name": name}, auth=ALICE)
        assert r.status_code == 200
        # an update names the model it changes (the record's own writer, not jansson)
        r = requests.patch(g.url + API + "/registered-models/update", json={"name": name, "description": "d"},
                           auth=ALICE)
        assert r.status_code == 200
    log = g.tmp / "var" / "audit.log"
    until(lambda: log.exists() and len([x for x in records(log) if x.get("phase") == "done"]) == 2 * len(names))
    done = [x for x in records(log) if x.get("phase") == "done"]
    for i, name in enumerate(names):
        assert done[2 * i]["resource"] in ({"model": [name]}, {"name": [name]}), (name, done[2 * i])
        assert done[2 * i + 1]["action"] == "UpdateRegisteredModel"
        assert done[2 * i + 1]["resource"] == {"model": [name]}, (name, done[2 * i + 1])
    assert verify(g, log).returncode == 0
