"""Opens N keep-alive connections to a gateway, sends one authenticated
request on each, reads the answers, prints how many got 200, then holds the
connections until a line arrives on stdin (the caller measures RSS)."""
import socket
import sys

port, auth, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
req = f"GET /api/2.0/mlflow/experiments/search HTTP/1.1\r\nHost: b\r\n{auth}\r\n\r\n".encode()
socks, ok = [], 0


def drain(batch):
    global ok
    for t in batch:
        t.settimeout(10)
        if t.recv(65536).startswith(b"HTTP/1.1 200"):
            ok += 1


pending = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
    pending.append(s)
    if len(pending) == 500:
        drain(pending)
        pending = []
drain(pending)
print(ok, flush=True)
sys.stdin.readline()
