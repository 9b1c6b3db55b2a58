"""`mlgate audit verify` on logs written by an independent implementation of
the documented format (Python: hmac + hashlib), so the format is pinned:
intact logs and rotated chains pass; an edited byte, a deleted line, a
swapped pair, an inserted line and a truncated tail are each named at the
right line, with exit status 1."""
import hashlib
import hmac
import json
import os
import subprocess

from conftest import BIN

KEY = bytes(range(32))


def record_hash(line):
    """SHA-256 of a record's line up to ,"mac": (what the next record's prev holds)."""
    return hashlib.sha256(line[:line.rindex(',"mac":"')].encode()).hexdigest()


def records(n, start_seq=1, prev="0" * 64, key=KEY):
    lines = []
    for i in range(n):
        rec = {"seq": start_seq + i, "time": "2026-11-26T16:00:00.000Z", "user": "alice",
               "action": "CreateRegisteredModel", "resource": {"name": f"m{i}"}, "outcome": 200, "prev": prev}
        body = json.dumps(rec, separators=(",", ":"))[:-1]
        digest = hashlib.sha256(body.encode()).digest()  # the record's hash: the next one's prev
        line = body + ',"mac":"' + hmac.new(key, digest, hashlib.sha256).hexdigest() + '"}'
        assert record_hash(line) == digest.hex()
        prev = digest.hex()
        lines.append(line)
    return lines, prev


def head(seq, last_hash, key=KEY):
    text = f"{seq} {last_hash}"
    return text + " " + hmac.new(key, text.encode(), hashlib.sha256).hexdigest() + "\n"


def verify(tmp_path, *files):
    kf = tmp_path / "audit.key"
    kf.write_bytes(KEY)
    os.chmod(kf, 0o600)
    return subprocess.run([BIN, "audit", "verify", "--key-file", str(kf), *map(str, files)], capture_output=True,
                          text=True, timeout=30)


def write(path, lines, tail="\n"):
    path.write_text("\n".join(lines) + tail)
    return path


def test_intact_and_rotated(tmp_path):
    lines, last = records(5)
    log = write(tmp_path / "audit.log", lines)
    (tmp_path / "audit.log.head").write_text(head(5, last))
    r = verify(tmp_path, log)
    assert r.returncode == 0 and "intact: 5 record(s), last seq 5" in r.stdout, r.stdout + r.stderr
    # rotation: the next file continues the chain
    more, _ = records(3, start_seq=6, prev=last)
    old = write(tmp_path / "audit.log.1", lines)
    new = write(tmp_path / "audit.log.2", more)
    r = verify(tmp_path, old, new)
    assert r.returncode == 0 and "intact: 8 record(s)" in r.stdout, r.stdout
    assert verify(tmp_path, new, old).returncode == 1  # out of order
    assert verify(tmp_path, new).returncode == 0  # a rotated file alone


def test_tampering_is_named(tmp_path):
    lines, last = records(6)

    def case(name, ls, tail="\n"):
        p = write(tmp_path / f"{name}.log", ls, tail)
        r = verify(tmp_path, p)
        assert r.returncode == 1, (name, r.stdout)
        return r.stdout

    edited = list(lines)
    edited[2] = edited[2].replace('"m2"', '"m9"')
    assert ":3: this record was changed" in case("edited", edited)
    assert ":3: this record follows a gap" in case("deleted", lines[:2] + lines[3:])
    assert ":3: this record is out of order" in case("swapped", lines[:2] + [lines[3], lines[2]] + lines[4:])
    forged, _ = records(1, start_seq=3, prev=record_hash(lines[1]), key=b"k" * 32)
    assert ":3: this record was inserted" in case("inserted", lines[:2] + forged + lines[2:])
    cut = "\n".join(lines)[:-20]
    p = tmp_path / "cut.log"
    p.write_text(cut)
    r = verify(tmp_path, p)
    assert r.returncode == 1 and ":6: the last record is cut short" in r.stdout, r.stdout
    # a whole record cut away: the head file the writer keeps says more were written
    p = write(tmp_path / "short.log", lines[:5])
    (tmp_path / "short.log.head").write_text(head(6, last))
    r = verify(tmp_path, p)
    assert r.returncode == 1 and "records after seq 5 are missing" in r.stdout, r.stdout
    (tmp_path / "short.log.head").write_text(head(5, "0" * 64, key=b"x" * 32))
    assert "head file was changed" in verify(tmp_path, p).stdout


def test_bad_key(tmp_path):
    lines, _ = records(2)
    log = write(tmp_path / "a.log", lines)
    (tmp_path / "short.key").write_bytes(b"abc")
    r = subprocess.run([BIN, "audit", "verify", "--key-file", str(tmp_path / "short.key"), str(log)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a 32-byte key" in r.stderr
