#!/usr/bin/env python3
"""Writes an access log of about SIZE bytes for `make bench`'s report
comparison: the seed's nginx mlflow_access format (combined + request time +
upstream time), a realistic mix of MLflow routes, statuses (about 8% 401/403),
a few hundred client addresses and users, one address stuffing credentials.
Usage: gen_access_log.py PATH SIZE_BYTES"""
import datetime
import random
import sys

path, size = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
routes = [("GET", "/api/2.0/mlflow/runs/get?run_id={h}"), ("POST", "/api/2.0/mlflow/runs/log-batch"),
          ("POST", "/api/2.0/mlflow/runs/log-metric"), ("POST", "/api/2.0/mlflow/runs/search"),
          ("GET", "/api/2.0/mlflow/metrics/get-history?run_id={h}&metric_key=loss"),
          ("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id={n}"),
          ("PUT", "/api/2.0/mlflow-artifacts/artifacts/{n}/{h}/artifacts/model.pkl"),
          ("GET", "/static-files/static/js/main.{h8}.js"), ("POST", "/graphql")]
statuses = [200] * 80 + [201, 204, 304, 400, 404, 500, 502] + [401] * 5 + [403] * 3
addrs = [f"10.{rnd.randint(0, 3)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}" for _ in range(300)]
users = [f"user{i:03d}" for i in range(200)]
t0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
lines = []
for i in range(50000):
    m, p = rnd.choice(routes)
    h = "%032x" % rnd.getrandbits(128)
    st = rnd.choice(statuses)
    u = rnd.choice(users) if rnd.random() < 0.9 else "-"
    a = addrs[hash(u) % len(addrs)] if u != "-" else rnd.choice(addrs)
    if i % 200 == 0:
        a, u, st = "203.0.113.66", f"admin{i % 50}", 401
    t = (t0 + datetime.timedelta(seconds=i * 3)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    rt = rnd.random() * 0.3
    up = "-" if st in (401, 403) else "%.3f" % (rt * 0.9)
    lines.append(f'{a} - {u} [{t}] "{m} {p.format(h=h, h8=h[:8], n=rnd.randint(0, 500))} HTTP/1.1" {st} '
                 f'{rnd.randint(0, 50000)} "-" "mlflow-python-client/2.19.0" {rt:.3f} {up}\n')
block = "".join(lines)
with open(path, "w") as f:
    written = 0
    while written < size:
        f.write(block)
        written += len(block)
