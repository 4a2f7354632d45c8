"""Submissions per second and latency of ``POST /api/v1/submissions`` under gunicorn on loopback,
beside a baseline: a bare endpoint writing the same rows with plain SQL in one transaction.

    .venv/bin/python bench/submissions.py [--clients 16] [--requests 1500] [--workers 4]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/...

Without DATABASE_URL it uses a new SQLite file in a temporary folder. It prints one line per
endpoint and the ratio of the two; the target is at least half the baseline's throughput and a
p95 under 50 ms at 16 concurrent clients on SQLite.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS = {
    key: key in ("smoke_alarms", "falls", "lonely")
    for key in (
        "smoke_alarms", "fire_risk", "home_security", "scams", "personal_alarm", "falls",
        "smoking", "alcohol_drugs", "memory", "caring", "lonely", "active", "eating", "low_mood",
        "cold_home", "repairs", "benefits", "money_worries",
    )
}  # fmt: skip
BODY = {
    "questionnaire": "sail",
    "client": {
        "given_name": "Bench", "family_name": "Client", "date_of_birth": "1940-01-01",
        "address": "1 Test Street, London", "postcode": "SE1 7PB", "phone": "020 7946 0123",
        "preferred_contact": "phone",
    },
    "consent": {"given": True},
    "answers": ANSWERS,
}  # fmt: skip


# A different person for every request of every run, so no submission is a possible duplicate.
PEOPLE = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str) -> str:
    """Migrate, load the demo hub and return an API token for the frontline user."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from hub import create_app
    from hub.auth import accounts
    from hub.clock import utcnow
    from hub.demo.load import load_demo
    from hub.extensions import db

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        load_demo(utcnow())
        token = accounts.issue_token(accounts.find_user("frontline@demo.sail.example"), utcnow())
        db.session.commit()
        db.engine.dispose()
    return token


def serve(app_spec: str, workers: int, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app_spec} did not start")


def load(port: int, path: str, token: str, clients: int, total: int) -> dict:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    per_client = total // clients
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def run():
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        bad = 0
        for _ in range(per_client):
            # A different person each time, as in real use (the same one would be a duplicate).
            body = {**BODY, "client": {**BODY["client"], "family_name": f"Client{next(PEOPLE)}"}}
            payload = json.dumps(body)
            started = time.perf_counter()
            connection.request("POST", path, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 201:
                bad += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        token = prepare_database(url)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        print(f"database: {url.split('://')[0]}, {args.clients} concurrent clients, "
              f"{args.requests} requests each run, gunicorn -w {args.workers}")  # fmt: skip
        results = {}
        for name, spec, path in (
            ("baseline (plain SQL)", "bench.baseline_app:app", "/baseline/submissions"),
            ("hub API", "hub:create_app()", "/api/v1/submissions"),
        ):
            process, port = serve(spec, args.workers, env)
            try:
                load(port, path, token, args.clients, args.clients * 5)  # warm up
                results[name] = load(port, path, token, args.clients, args.requests)
            finally:
                process.terminate()
                process.wait(timeout=10)
            r = results[name]
            print(f"{name:<22} {r['per_second']:8.1f} submissions/s   p50 {r['p50_ms']:6.1f} ms"
                  f"   p95 {r['p95_ms']:6.1f} ms   ({r['requests']} requests, "
                  f"{r['failures']} failed)")  # fmt: skip
        ratio = results["hub API"]["per_second"] / results["baseline (plain SQL)"]["per_second"]
        print(f"hub / baseline throughput: {ratio:.2f} (target at least 0.50); "
              f"hub p95 {results['hub API']['p95_ms']:.1f} ms (target under 50 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
