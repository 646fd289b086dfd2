"""The load generator: locust, as a library, in its own process (run.py starts it).

Every virtual user signs in through the real sign-in form as a different learner, once;
the scenarios then run over the same signed-in users, one at a time, each in slices
that alternate with slices of the baseline (baseline, complete, baseline, complete, ...,
then the same for the dashboard and the course page). The machine's speed drifts over a
run (its cores are shared): each scenario is compared with the baseline measured
seconds around it, not minutes before. Statistics are reset for every slice.

- baseline:  GET /accounts/ping/, the floor every learner request pays (session, user);
- complete:  "Complete lesson" as htmx sends it (HX-Request, the CSRF token from the
             cookie in X-CSRFToken), each user walking through its learner's lessons;
- dashboard: GET /;
- course:    GET /courses/<slug>/, round the 20 courses.

Last, "complete" once more with think time, at about half the rate it reached without
(STEADY_SHARE): its latency at half load, without most of the queue that 16 users with
no think time build (at saturation, latency is 16 / throughput, whatever a request
costs).

The server runs with its production settings, HTTPS-only cookies included: requests carry
X-Forwarded-Proto: https as a TLS-terminating proxy would send it, and the cookie jar
returns secure cookies over the loopback connection.

Writes a JSON report: per scenario requests, failures, percentiles and CPU seconds of the
app server, PostgreSQL and this process; and every completion the server acknowledged.
"""

import argparse
import itertools
import json
import logging
import random
import time
from collections import Counter
from http.cookiejar import DefaultCookiePolicy

import gevent
import psutil
from locust import User, constant, events, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from locust.log import setup_logging
from locust.stats import calculate_response_time_percentile

SCENARIOS = ("baseline", "complete", "dashboard", "course")
EXPECTED_STATUS = {"baseline": 204, "complete": 200, "dashboard": 200, "course": 200}
# The steady completions' rate, as a share of what "complete" reached without think time.
STEADY_SHARE = 0.5


class TrustTheProxyPolicy(DefaultCookiePolicy):
    """Send Secure cookies over http: the proxy header says the request is HTTPS."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class Run:
    """State the users share: the plan, the current scenario, what was acknowledged."""

    plan: dict = {}
    scenario: str | None = None
    signed_in = 0
    sign_in_failures: list[str] = []
    acknowledged: list[tuple[str, int]] = []
    # Learners who ran out of lessons, by scenario: their users stopped sending.
    exhausted: dict[str, set[str]] = {}
    next_learner = itertools.count()
    # Mean think time of a steady user, in seconds.
    think = 0.0


class Learner(User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.account = Run.plan["learners"][next(Run.next_learner)]
        self.todo = iter(self.account["todo"])
        self.courses = itertools.cycle(Run.plan["courses"])
        # Sign-in hashes the password (about a second of CPU each): 16 at once queue up.
        self.session = FastHttpSession(
            self.host,
            request_event=self.environment.events.request,
            user=self,
            connection_timeout=60.0,
            network_timeout=60.0,
        )
        self.session.cookiejar.set_policy(TrustTheProxyPolicy())
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Origin": self.host.replace("http:", "https:"),
        }
        self.sign_in()

    def sign_in(self) -> None:
        self.session.get("/accounts/login/", headers=self.headers, name="sign-in form")
        response = self.session.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": Run.plan["password"],
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            },
            headers=self.headers,
            allow_redirects=False,
            name="sign-in",
        )
        if response.status_code == 302:
            Run.signed_in += 1
        else:
            Run.sign_in_failures.append(
                f"{self.account['username']}: {response.status_code} {response.error}"
            )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.session.cookiejar if c.name == name), "")

    @task
    def act(self) -> None:
        scenario = Run.scenario
        if scenario is None:
            gevent.sleep(0.05)
        elif scenario == "complete":
            self.complete()
        elif scenario == "steady":
            # Exponential think times: arrivals as independent learners make them.
            gevent.sleep(random.expovariate(1 / Run.think))
            self.complete(name="steady")
        elif scenario == "baseline":
            self.get("/accounts/ping/", scenario)
        elif scenario == "dashboard":
            self.get("/", scenario)
        else:
            self.get(f"/courses/{next(self.courses)}/", scenario)

    def get(self, url: str, scenario: str) -> None:
        with self.session.get(
            url, headers=self.headers, name=scenario, allow_redirects=False, catch_response=True
        ) as response:
            self.expect(response, scenario)

    def complete(self, name: str = "complete") -> None:
        step = next(self.todo, None)
        if step is None:
            Run.exhausted.setdefault(name, set()).add(self.account["username"])
            gevent.sleep(0.05)
            return
        course, lesson, lesson_id = step
        with self.session.post(
            f"/courses/{course}/{lesson}/complete/",
            headers={**self.headers, "HX-Request": "true", "X-CSRFToken": self.cookie("csrftoken")},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                Run.acknowledged.append((self.account["username"], lesson_id))
            self.expect(response, "complete")

    @staticmethod
    def expect(response, scenario: str) -> None:
        if response.status_code != EXPECTED_STATUS[scenario]:
            response.failure(f"HTTP {response.status_code}")


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def server_processes(server_pid: int, database: str) -> dict[str, list[psutil.Process]]:
    """The app server's processes, PostgreSQL's backends serving the bench database, the
    cache server, and the load generator: everything that shares the cores."""
    app = [psutil.Process(server_pid), *psutil.Process(server_pid).children(recursive=True)]
    db, cache = [], []
    for process in psutil.process_iter(["cmdline", "name"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            db.append(process)
        elif process.info["name"] == "redis-server":
            cache.append(process)
    return {"app": app, "db": db, "cache": cache, "load": [psutil.Process()]}


def measure(env: Environment, scenario: str, duration: float, processes: dict) -> dict:
    """One slice: the scenario alone for `duration` seconds, statistics reset first."""
    Run.scenario = scenario
    env.stats.reset_all()
    cpu_before = {k: cpu_seconds(v) for k, v in processes.items()}
    started = time.monotonic()
    gevent.sleep(duration)
    elapsed = time.monotonic() - started
    cpu = {k: cpu_seconds(v) - cpu_before[k] for k, v in processes.items()}
    entry = env.stats.get(scenario, "POST" if scenario in ("complete", "steady") else "GET")
    Run.scenario = None
    return {
        "seconds": elapsed,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "errors": {str(e.error): e.occurrences for e in env.stats.errors.values()},
        "response_times": dict(entry.response_times),
        "max": entry.max_response_time or 0,
        "cpu_seconds": cpu,
    }


def combine(scenario: str, slices: list[dict]) -> dict:
    """A scenario's slices as one measurement: totals, and percentiles over every request."""
    times, errors, cpu = Counter(), Counter(), Counter()
    for part in slices:
        times.update(part["response_times"])
        errors.update(part["errors"])
        cpu.update(part["cpu_seconds"])
    requests = sum(part["requests"] for part in slices)
    seconds = sum(part["seconds"] for part in slices)

    def percentile(p: float) -> int:
        return calculate_response_time_percentile(times, requests, p) if requests else 0

    return {
        "scenario": scenario,
        "slices": len(slices),
        "seconds": seconds,
        "requests": requests,
        "failures": sum(part["failures"] for part in slices),
        "errors": dict(errors),
        "rps": requests / seconds,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": max(part["max"] for part in slices),
        "cpu_seconds": {k: cpu[k] for k in slices[0]["cpu_seconds"]},
        "rps_by_slice": [part["requests"] / part["seconds"] for part in slices],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True, help="JSON written by run.py")
    parser.add_argument("--report", required=True, help="where to write the JSON report")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=4, help="slices per scenario")
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    setup_logging("WARNING")
    logging.getLogger("locust").setLevel(logging.ERROR)

    with open(args.plan) as f:
        Run.plan = json.load(f)
    env = Environment(user_classes=[Learner], host=args.host, events=events)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    deadline = time.monotonic() + 120
    while Run.signed_in + len(Run.sign_in_failures) < args.users:
        if time.monotonic() > deadline:
            raise SystemExit("Virtual users did not sign in within 120 s.")
        gevent.sleep(0.2)
    if Run.sign_in_failures:
        raise SystemExit(f"Sign-in failed: {Run.sign_in_failures}")

    processes = server_processes(args.server_pid, args.database)
    slice_seconds = args.duration / args.rounds
    baseline_slices, results = [], []
    for scenario in SCENARIOS[1:]:
        paired, own = [], []
        for _ in range(args.rounds):
            for name, parts in (("baseline", paired), (scenario, own)):
                gevent.sleep(0.5)  # let the previous slice's last requests finish
                parts.append(measure(env, name, slice_seconds, processes))
        baseline_slices += paired
        results.append({**combine(scenario, own), "baseline": combine("baseline", paired)})
    results.insert(0, combine("baseline", baseline_slices))
    # users / think time is the rate aimed at; each request's own time lengthens a cycle
    # a little, so the rate measured (and printed) comes out a little under it.
    complete = next(r for r in results if r["scenario"] == "complete")
    Run.think = args.users / (STEADY_SHARE * max(complete["rps"], 1))
    gevent.sleep(0.5)
    steady = combine("steady", [measure(env, "steady", args.duration / 2, processes)])
    gevent.sleep(2)  # in-flight completions get their answer before the users stop
    runner.quit()

    with open(args.report, "w") as f:
        json.dump(
            {
                "scenarios": results,
                "steady": steady,
                "acknowledged": Run.acknowledged,
                "exhausted": {name: sorted(users) for name, users in Run.exhausted.items()},
            },
            f,
        )


if __name__ == "__main__":
    main()
