"""`mlgate import-mlflow-auth`: users, admin flags and permissions from an
MLflow basic-auth database built here with MLflow's schema (mlflow-api.md
§2.8), with Werkzeug password hashes verified as they are."""
import hashlib
import sqlite3
import subprocess

import requests
from werkzeug.security import generate_password_hash

from conftest import BIN

API = "/version"  # echoed by the fake MLflow; open to every authenticated user


def build_mlflow_auth_db(path):
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(255) UNIQUE, password_hash VARCHAR(255),
                            is_admin BOOLEAN DEFAULT 0);
        CREATE TABLE experiment_permissions (id INTEGER PRIMARY KEY, experiment_id VARCHAR(255) NOT NULL,
                            user_id INTEGER NOT NULL REFERENCES users(id), permission VARCHAR(255),
                            CONSTRAINT unique_experiment_user UNIQUE (experiment_id, user_id));
        CREATE TABLE registered_model_permissions (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL,
                            user_id INTEGER NOT NULL REFERENCES users(id), permission VARCHAR(255),
                            CONSTRAINT unique_name_user UNIQUE (name, user_id));
    """)
    salt = "0123456789abcdef0123456789abcdef"
    scrypt_hash = "scrypt:32768:8:1$%s$%s" % (salt, hashlib.scrypt(b"sc-pw", salt=salt.encode(), n=32768, r=8, p=1,
                                                                    maxmem=132 * 32768 * 8).hex())
    users = [
        (1, "admin", generate_password_hash("admin-pw", method="pbkdf2:sha256:600000"), 1),
        (2, "data-sci", generate_password_hash("ds-pw"), 0),  # Werkzeug 2 default: pbkdf2:sha256:260000
        (3, "scry", scrypt_hash, 0),                          # Werkzeug 3 default: scrypt
        (4, "weird", "md5$x$y", 0),
    ]
    db.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", users)
    db.executemany("INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES (?, ?, ?)",
                   [("1", 2, "EDIT"), ("2", 2, "READ"), ("1", 3, "MANAGE"), ("3", 3, "USE")])
    db.executemany("INSERT INTO registered_model_permissions (name, user_id, permission) VALUES (?, ?, ?)",
                   [("churn", 2, "MANAGE"), ("fraud", 3, "NO_PERMISSIONS")])
    db.commit()
    db.close()


def test_import_and_login(gateway_factory, fake, tmp_path):
    gw = gateway_factory(admins=())
    src = tmp_path / "basic_auth.db"
    build_mlflow_auth_db(src)
    out = subprocess.run([BIN, "import-mlflow-auth", str(src)], capture_output=True, text=True, cwd=gw.tmp)
    assert out.returncode == 0, out.stderr
    assert "imported 3 user(s) and 5 grant(s); 0 user(s) already present, 1 refused, 1 permission(s) skipped" in out.stdout
    assert 'user "weird" skipped' in out.stderr and "USE" in out.stderr
    # the Werkzeug hashes work as they are: pbkdf2 (600000 and 260000 rounds) and scrypt
    for user, pw in [("admin", "admin-pw"), ("data-sci", "ds-pw"), ("scry", "sc-pw")]:
        r = requests.get(gw.url + API, auth=(user, pw))
        assert r.status_code == 200 and r.json()["user"] == user, user
        assert requests.get(gw.url + API, auth=(user, pw + "x")).status_code == 401
    users = subprocess.run([BIN, "user", "list"], capture_output=True, text=True, cwd=gw.tmp).stdout
    assert [l.split()[:2] for l in users.splitlines()[1:]] == [["admin", "yes"], ["data-sci", "no"], ["scry", "no"]]
    grants = subprocess.run([BIN, "grant", "--list"], capture_output=True, text=True, cwd=gw.tmp).stdout
    assert sorted(l.split() for l in grants.splitlines()[1:]) == sorted([
        ["data-sci", "EDIT", "experiment", "1"], ["data-sci", "READ", "experiment", "2"],
        ["scry", "MANAGE", "experiment", "1"], ["data-sci", "MANAGE", "model", "churn"],
        ["scry", "NO_PERMISSIONS", "model", "fraud"]])
    again = subprocess.run([BIN, "import-mlflow-auth", str(src)], capture_output=True, text=True, cwd=gw.tmp)
    assert again.returncode == 0 and "3 user(s) already present" in again.stdout
    bad = subprocess.run([BIN, "import-mlflow-auth", str(tmp_path / "nope.db")], capture_output=True, text=True,
                         cwd=gw.tmp)
    assert bad.returncode == 1
