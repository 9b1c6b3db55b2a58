"""Builds the authorisation benchmark's identity store: 10,000 users and
1,000,000 grants (100 per user on experiments 1..5000, READ or EDIT), in
the schema `mlgate` migrated (SQLite). The benchmark user u00042 can EDIT
experiments 1..50; "benchadmin" is an administrator.
usage: authz_store.py MLGATE_BIN DB_PATH BCRYPT_HASH"""
import sqlite3
import subprocess
import sys
import time

bin_, path, pwhash = sys.argv[1], sys.argv[2], sys.argv[3]
subprocess.run([bin_, "user", "list", "--store", "sqlite:///" + path], check=True, capture_output=True)
db = sqlite3.connect(path)
now = int(time.time())
db.execute("PRAGMA journal_mode=WAL")
users = [(f"u{i:05d}", pwhash, 0, now) for i in range(10000)] + [("benchadmin", pwhash, 1, now)]
db.executemany("INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)", users)


def grants():
    for i in range(10000):
        name = f"u{i:05d}"
        seen = set()
        for k in range(100):
            exp = 1 + k if name == "u00042" and k < 50 else 1 + (i * 37 + k * 53) % 5000
            if exp in seen:
                exp = 5001 + k
            seen.add(exp)
            level = "EDIT" if name == "u00042" or k % 3 == 0 else "READ"
            yield ("user", name, "experiment", str(exp), level, now)


db.executemany("INSERT INTO grants (principal_kind, principal, resource_kind, resource, level, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", grants())
db.commit()
n_users = db.execute("SELECT count(*) FROM users").fetchone()[0]
n_grants = db.execute("SELECT count(*) FROM grants").fetchone()[0]
print(n_users, n_grants)
