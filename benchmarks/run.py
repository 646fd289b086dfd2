"""`make bench`: the production server under load, against PostgreSQL on this machine.

1. creates its own database (dropped at the end), migrates it and fills it (dataset.py);
2. starts `make serve` (gunicorn, DEBUG off, production settings) on 127.0.0.1 only;
3. runs the load generator (load.py: locust, 16 users, a fixed time per scenario, in
   slices that alternate with slices of the baseline; then completions with think time,
   at about half the rate they reached without, for their latency at that load);
4. stops the server, then checks that every completion the server acknowledged with a
   200 is in the database;
5. counts SQL round trips per request in a short in-process pass (Django's test client and
   CaptureQueriesContext, same settings, same database), apart from the timed run;
6. prints the table and the verdict on each target, and exits non-zero on a miss of zero
   errors or zero lost completions.

Bounded: every step has a time limit, and the server is stopped whatever happens.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from statistics import mean

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
# Targets: throughput as a share of the baseline, and the completion's p99 at about half
# its saturated rate (the steady scenario: latency without the queue a closed loop builds).
TARGETS = {"complete": 0.28, "dashboard": 0.5, "course": 0.5}
STEADY_P99_MS = 60
QUERY_SAMPLES = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8531)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20, help="seconds per scenario")
    parser.add_argument(
        "--rounds", type=int, default=4, help="slices per scenario, each after a baseline slice"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="progress_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the shared cache")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    database_url = database_url_of(args)
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=args.redis,
        # A prefix of its own: nothing cached by an earlier run (same ids, other data) is
        # reachable, and nothing is flushed; the keys expire.
        CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        CONN_MAX_AGE="600",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        DJANGO_SETTINGS_MODULE="progress_site.settings",
    )
    database_recreate(args.postgres, args.database)
    try:
        return bench(args)
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(args.postgres, args.database)


def bench(args) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.dataset import PASSWORD, dataset_create

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    learners = dataset_create()
    # What autovacuum has long done to a school a few months old: planner statistics,
    # and a visibility map that lets index-only scans skip the table.
    with psycopg.connect(database_url_of(args), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"Data set created in {time.monotonic() - started:.1f} s", flush=True)

    # The load generator's learners first; the next one is kept for the query count.
    plan = {
        "password": PASSWORD,
        "learners": [{"username": x.username, "todo": x.todo} for x in learners[: args.users]],
        "courses": sorted({slug for x in learners for slug, _, _ in x.todo}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        plan_path, report_path = Path(tmp, "plan.json"), Path(tmp, "report.json")
        plan_path.write_text(json.dumps(plan))
        server = server_start(args)
        try:
            server_wait_ready(server, args.port)
            subprocess.run(
                [
                    PYTHON, ROOT / "benchmarks" / "load.py",
                    "--host", f"http://127.0.0.1:{args.port}",
                    "--plan", plan_path, "--report", report_path,
                    "--users", str(args.users), "--duration", str(args.duration),
                    "--rounds", str(args.rounds),
                    "--server-pid", str(server.pid), "--database", args.database,
                ],
                check=True,
                timeout=6 * (args.duration + args.rounds) + 180,
            )  # fmt: skip
        finally:
            server_stop(server)
        report = json.loads(report_path.read_text())

    lost = completions_lost(report["acknowledged"])
    queries = queries_per_request(learners[args.users])
    print_results(args, report, lost, queries)
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "lost": lost, "queries": queries}))
    errors = sum(s["failures"] for s in [*report["scenarios"], report["steady"]])
    return 1 if errors or lost else 0


def database_url_of(args) -> str:
    return f"{args.postgres}/{args.database}"


def database_recreate(postgres: str, name: str) -> None:
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(postgres: str, name: str) -> None:
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_start(args) -> subprocess.Popen:
    """`make serve` in its own process group, so stopping it stops every worker."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"Port {args.port} is taken: choose another with --port.")
    return subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"BIND=127.0.0.1:{args.port}",
         f"WORKERS={args.workers}"],
        cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip


def server_wait_ready(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server exited with {server.returncode}.")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or still booting
            time.sleep(0.3)
    raise SystemExit("The server did not answer within 60 s.")


def server_stop(server: subprocess.Popen) -> None:
    """SIGTERM to the whole group (make, gunicorn, workers); SIGKILL what is left after 30 s."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            server.poll()
            try:
                os.killpg(server.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    server.poll()


def completions_lost(acknowledged: list[list]) -> int:
    """Acknowledged completions missing from the database."""
    from courses.models import LessonCompletion

    usernames = {username for username, _ in acknowledged}
    stored = set(
        LessonCompletion.objects.filter(user__username__in=usernames).values_list(
            "user__username", "lesson_id"
        )
    )
    return sum(1 for username, lesson_id in acknowledged if (username, lesson_id) not in stored)


def queries_per_request(learner) -> dict[str, float]:
    """Mean SQL round trips per request of each scenario, for a learner the load left alone.

    A transaction (the completion) adds its BEGIN and COMMIT. The connection health
    check is not counted.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=learner.username))
    courses = sorted({slug for slug, _, _ in learner.todo})
    requests = {
        "baseline": lambda i: client.get("/accounts/ping/", secure=True),
        "complete": lambda i: client.post(
            "/courses/{}/{}/complete/".format(*learner.todo[i][:2]),
            headers={"HX-Request": "true"},
            secure=True,
        ),
        "dashboard": lambda i: client.get("/", secure=True),
        "course": lambda i: client.get(f"/courses/{courses[i % len(courses)]}/", secure=True),
    }
    counts = {}
    for scenario, send in requests.items():
        samples = []
        for i in range(QUERY_SAMPLES):
            with CaptureQueriesContext(connection) as captured:
                response = send(i)
            assert response.status_code in (200, 204), (scenario, response.status_code)
            samples.append(len(captured.captured_queries))
        counts[scenario] = mean(samples)
    return counts


def cpu_ms_per_request(scenario: dict) -> dict[str, float]:
    n = max(scenario["requests"], 1)
    return {k: 1000 * v / n for k, v in scenario["cpu_seconds"].items()}


def ratios(scenario: dict) -> tuple[float, float]:
    """Throughput and CPU cost against the baseline slices run between its own slices.

    CPU cost: CPU seconds per request of the app server, PostgreSQL, Redis and the load
    generator together, which share the cores. It does not depend on how much of the
    machine other work left to the benchmark, and it is what the throughput ratio is when
    the cores are the benchmark's alone.
    """
    baseline = scenario.get("baseline", scenario)
    by_cpu = sum(cpu_ms_per_request(baseline).values()) / sum(cpu_ms_per_request(scenario).values())
    return scenario["rps"] / baseline["rps"], by_cpu


def print_results(args, report: dict, lost: int, queries: dict[str, float]) -> None:
    """The table (each ratio against the baseline slices run around the scenario's own),
    then the targets."""
    scenarios = {s["scenario"]: s for s in report["scenarios"]}
    print(
        f"\n{args.users} users, {args.duration:.0f} s per scenario in {args.rounds} slices, "
        f"gunicorn {args.workers} sync workers, {os.cpu_count()} cores\n"
    )
    print(
        "| scenario | requests | req/s | x baseline | x baseline by CPU | p50 ms | p95 ms "
        "| p99 ms | errors | SQL round trips/request "
        "| CPU ms/request: app / PostgreSQL / Redis / load generator |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--|")
    for name, s in scenarios.items():
        cpu = cpu_ms_per_request(s)
        by_rps, by_cpu = ratios(s)
        print(
            f"| {name} | {s['requests']} | {s['rps']:.0f} | {by_rps:.2f} | {by_cpu:.2f} "
            f"| {s['p50']} | {s['p95']} | {s['p99']} | {s['failures']} | {queries[name]:g} "
            f"| {cpu['app']:.1f} / {cpu['db']:.1f} / {cpu['cache']:.1f} / {cpu['load']:.1f} |"
        )
    steady = report["steady"]
    print(
        f"\ncomplete with think time, at {steady['rps']:.0f} req/s "
        f"({steady['rps'] / scenarios['complete']['rps']:.2f}x its rate above): "
        f"p50 / p95 / p99 {steady['p50']} / {steady['p95']} / {steady['p99']} ms, "
        f"errors {steady['failures']}"
    )
    print("\nreq/s of each slice (scenario, then the baseline slice before it):")
    for name, s in list(scenarios.items())[1:]:
        pairs = zip(s["rps_by_slice"], s["baseline"]["rps_by_slice"], strict=True)
        print(f"  {name}: " + ", ".join(f"{a:.0f} / {b:.0f}" for a, b in pairs))
    for name, s in [*scenarios.items(), ("steady", report["steady"])]:
        if s["errors"]:
            print(f"errors in {name}: {s['errors']}")
    print(f"\nacknowledged completions: {len(report['acknowledged'])}, lost: {lost}")
    for name, usernames in report["exhausted"].items():
        print(f"learners who ran out of lessons in {name}: {len(usernames)}")
    errors = sum(s["failures"] for s in [*scenarios.values(), steady])
    checks = [
        ("zero errors", errors == 0),
        ("zero lost completions", lost == 0),
        (f"steady complete p99 < {STEADY_P99_MS} ms", steady["p99"] < STEADY_P99_MS),
        *(
            (f"{name} >= {ratio}x baseline", ratios(scenarios[name])[0] >= ratio)
            for name, ratio in TARGETS.items()
        ),
    ]
    print("targets: " + ", ".join(f"{label}: {'met' if ok else 'MISSED'}" for label, ok in checks))


if __name__ == "__main__":
    sys.exit(main())
