"""Nothing lost, nothing doubled: many submitters at once, each retrying with its key.

    .venv/bin/python bench/retries.py [--clients 50] [--each 20] [--workers 4]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/...

Each of ``--clients`` threads submits ``--each`` questionnaires to ``POST /api/v1/submissions``
under gunicorn, each a different person with its own ``Idempotency-Key``. Every submission is
sent twice: half the time the retry follows the answer (a client that lost it), half the time it
races the first request from a second connection (a client that gave up waiting and tried again).
Then the database is counted: one submission per key, each with its three referrals, and every
answer a 201 naming the same submission for both sends. Without DATABASE_URL it uses a new SQLite
file in a temporary folder. It prints the counts and exits non-zero if anything was lost or
doubled (it measures correctness, not speed; see ``bench/submissions.py`` for that).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submissions import BODY, prepare_database, serve  # noqa: E402

YES_ANSWERS = sum(BODY["answers"].values())


def send(port: int, headers: dict, payload: str) -> tuple[int, int | None]:
    """One POST on a fresh connection: the status and the submission id it names."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/submissions", body=payload, headers=headers)
        response = connection.getresponse()
        body = json.loads(response.read() or b"{}")
        return response.status, body.get("id")
    finally:
        connection.close()


def _race(answers: list, slot: int, port: int, headers: dict, payload: str) -> None:
    answers[slot] = send(port, headers, payload)


def submitter(port: int, token: str, client: int, each: int, results: list) -> None:
    for number in range(each):
        key = f"retry-{client}-{number}"
        person = {**BODY["client"], "family_name": f"Retry{client}x{number}"}
        payload = json.dumps({**BODY, "client": person})
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
        }
        if number % 2:
            answers = [send(port, headers, payload), send(port, headers, payload)]
        else:
            answers = [None, None]
            threads = [
                threading.Thread(target=_race, args=(answers, slot, port, headers, payload))
                for slot in (0, 1)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        results.append((key, answers))


def count(url: str) -> dict:
    """What the database holds after the load: submissions per key, referrals per submission."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select

    from hub import create_app
    from hub.extensions import db
    from hub.models import Referral, Submission

    app = create_app()
    with app.app_context():
        keys = dict(
            db.session.execute(
                select(Submission.idempotency_key, func.count(Submission.id))
                .where(Submission.idempotency_key.like("retry-%"))
                .group_by(Submission.idempotency_key)
            ).all()
        )
        referrals = dict(
            db.session.execute(
                select(Referral.submission_id, func.count(Referral.id))
                .join(Submission, Referral.submission_id == Submission.id)
                .where(Submission.idempotency_key.like("retry-%"))
                .group_by(Referral.submission_id)
            ).all()
        )
        db.engine.dispose()
    return {"keys": keys, "referrals": referrals}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--each", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/retries.db"
        token = prepare_database(url)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        print(f"database: {url.split('://')[0]}, {args.clients} submitters x {args.each}, "
              f"each sent twice, gunicorn -w {args.workers}")  # fmt: skip
        results: list = []
        process, port = serve("hub:create_app()", args.workers, env)
        try:
            threads = [
                threading.Thread(target=submitter, args=(port, token, n, args.each, results))
                for n in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            process.terminate()
            process.wait(timeout=10)
        held = count(url)

    statuses = Counter(status for _, answers in results for status, _ in answers)
    split = sum(1 for _, answers in results if len({ident for _, ident in answers}) != 1)
    expected = args.clients * args.each
    lost = expected - len(held["keys"])
    doubled = sum(n - 1 for n in held["keys"].values() if n > 1)
    short = sum(1 for n in held["referrals"].values() if n != YES_ANSWERS)
    print(f"sent {sum(statuses.values())} requests for {expected} submissions; answers: "
          + ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())))  # fmt: skip
    print(f"held: {len(held['keys'])} submissions, {sum(held['referrals'].values())} referrals; "
          f"lost {lost}, doubled {doubled}, with the wrong number of referrals {short}, "
          f"retries answered with a different submission {split}")  # fmt: skip
    return 1 if lost or doubled or short or split or set(statuses) - {201} else 0


if __name__ == "__main__":
    sys.exit(main())
