#!/usr/bin/env python3
"""Memory of the real binary under bursts of wrong-password logins.

    scripts/login-burst.py BINARY ROUNDS PER_ROUND [VAR=VALUE ...]

Seeds a demo database in a temporary directory, serves it with BINARY, sends
ROUNDS bursts of PER_ROUND simultaneous `login` calls (each from a new email,
so only the per-address limit applies; raise it with
MUSTER_LOGIN_PER_ADDRESS_PER_HOUR=100000) and prints the server's RSS after
each burst and after 20 s idle, with the answers' codes. For example
`scripts/login-burst.py target/release/muster 5 12 MUSTER_LOGIN_PER_ADDRESS_PER_HOUR=100000`.
"""
import json, os, subprocess, sys, threading, time, urllib.request, uuid, tempfile, socket
binary, rounds, per_round = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
extra = dict(a.split('=',1) for a in sys.argv[4:])
d = tempfile.mkdtemp()
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
env = {"PATH": os.environ["PATH"], "MUSTER_DATABASE_URL": f"sqlite://{d}/m.db?mode=rwc",
       "MUSTER_JWT_SECRET": "burst-secret-0123456789abcdef0123456789", "MUSTER_BIND": f"127.0.0.1:{port}", "RUST_LOG": "warn"}
env.update(extra)
subprocess.run([binary, "seed-demo"], env=env, cwd=d, check=True, capture_output=True)
p = subprocess.Popen([binary], env=env, cwd=d, stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))
url = f"http://127.0.0.1:{port}"
for _ in range(200):
    try:
        urllib.request.urlopen(url + "/healthz", timeout=1); break
    except Exception: time.sleep(0.1)
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) / 1000
codes = {}
def login():
    body = json.dumps({"query": "mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}",
                       "variables": {"e": f"{uuid.uuid4().hex}@example.org", "p": "wrong password here"}}).encode()
    req = urllib.request.Request(url + "/graphql", body, {"Content-Type": "application/json"})
    try:
        r = json.loads(urllib.request.urlopen(req, timeout=60).read())
        c = r["errors"][0]["extensions"]["code"] if r.get("errors") else "OK"
    except Exception as e:
        c = type(e).__name__
    codes[c] = codes.get(c, 0) + 1
print(f"start {rss():.1f} MB")
for n in range(rounds):
    t = [threading.Thread(target=login) for _ in range(per_round)]
    [x.start() for x in t]; [x.join() for x in t]
    print(f"round {n+1}: {rss():.1f} MB {codes}")
time.sleep(20)
print(f"after 20 s idle: {rss():.1f} MB; answers {codes}")
p.kill()
