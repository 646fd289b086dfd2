"""What the people who run courses wait for: course insights on a data set of a given size.

    python benchmarks/insights_scale.py --database progress_scale_100k [--runs 3]
    make bench-insights BENCH_ARGS="--database progress_scale_100k"

Against a database `benchmarks/scale.py --keep` loaded (nothing is written but a
superuser `bench-admin`, as benchmarks/admin_scale.py makes). In process, DEBUG off, no
cache, the test client logged in as that superuser: each page's figure is the server's
own time for one request (median of --runs, with the range) and its number of queries.
The courses: "Welcome" (the most learners, one lesson), the course with the most
completions, and a typical one (the median number of learners). Each CSV export is read
chunk by chunk as a client would (nothing kept): rows per second and how much the
process's resident memory grew (its peak, VmHWM, reset before each export where Linux
allows, else ru_maxrss). Then EXPLAIN (ANALYZE, BUFFERS) of the slowest queries seen.
First it VACUUM ANALYZEs the tables the pages read (--no-vacuum: not), as autovacuum
would have in production; it prints the dead rows it found.
Prints Markdown for docs/performance.md; --json keeps the figures too.
"""

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument(
        "--compare",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="no measuring: print the figures --json kept, side by side, with the targets",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", type=int, default=2, help="how many slowest queries")
    parser.add_argument(
        "--sort",
        default="-progress",
        help="the stalled learners' order for the filtered page (insights:course ?sort=)",
    )
    parser.add_argument("--overview-sort", default="-rate", help="insights:overview ?sort=")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="measure as found, without VACUUM ANALYZE of the tables the pages read first",
    )
    args = parser.parse_args()
    if args.compare:
        compare([json.loads(path.read_text()) for path in args.compare])
        return 0
    if not args.database:
        parser.error("--database is required (or --compare)")
    sys.path.insert(0, str(ROOT))
    from benchmarks.in_process import django_setup

    django_setup(postgres=args.postgres, database=args.database)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    load_before = os.getloadavg()
    figures = measure(args)
    figures["started"] = started
    figures["ended"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    figures["load"] = [load_before, os.getloadavg()]
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


# --- Measuring ---


def captured(call):
    """Run `call`; return (seconds, [(seconds, sql), ...]) of it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        started = time.perf_counter()
        call()
        seconds = time.perf_counter() - started
    return seconds, [(float(q["time"]), q["sql"]) for q in context.captured_queries]


def memory_peak_reset() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_status() -> dict[str, int]:
    """VmRSS and VmHWM in kB (Linux), or ru_maxrss as both."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"VmRSS": peak, "VmHWM": peak}
    found = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


READ_TABLES = (
    "courses_userprogress",
    "courses_lessoncompletion",
    "courses_lesson",
    "achievements_userachievement",
    "auth_user",
)


def tables_tidy(*, vacuum: bool) -> dict[str, int]:
    """The dead rows the pages' tables hold, then (unless not) VACUUM ANALYZE of them.

    Dead rows are what autovacuum clears in production; where it is off (this machine's
    PostgreSQL), rolled-back benchmark writes (admin_scale.py rewrites Welcome's 70,000
    progress rows a few times) and migrations leave them, and every scan reads them.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(READ_TABLES)],
        )
        dead = dict(cursor.fetchall())
        if vacuum:
            cursor.execute(f"VACUUM ANALYZE {', '.join(READ_TABLES)}")
    return dead


def measure(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from courses.models import Course, LessonCompletion

    users = get_user_model()
    admin, _ = users.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    dead = tables_tidy(vacuum=not args.no_vacuum)

    welcome = Course.objects.order_by("position").first()
    courses = list(
        Course.objects.exclude(pk=welcome.pk)
        .annotate(
            learners=Count("progress", distinct=True),
            lessons_n=Count("lessons", distinct=True),
        )
        .order_by("learners", "pk")
    )
    typical = courses[len(courses) // 2]
    busiest = max(
        courses,
        key=lambda course: (
            LessonCompletion.objects.filter(lesson__course=course).count()
            if course.learners >= courses[-10].learners
            else 0
        ),
    )
    learners = {c.pk: c.progress.count() for c in (welcome, busiest, typical)}  # started the course
    lessons = {c.pk: c.lessons.count() for c in (welcome, busiest, typical)}
    stalled = {
        c.pk: c.progress.filter(Q(completed_at__isnull=True)).count()
        for c in (welcome, busiest, typical)
    }
    figures = {
        "database": args.database,
        "dead_rows_found": dead,
        "vacuumed": not args.no_vacuum,
        "runs": args.runs,
        "size": {
            "learners": users.objects.count(),
            "completions": LessonCompletion.objects.count(),
        },
        "courses": {
            label: {
                "title": c.title,
                "slug": c.slug,
                "learners": learners[c.pk],
                "lessons": lessons[c.pk],
                "not complete": stalled[c.pk],
            }
            for label, c in (("biggest", welcome), ("busiest", busiest), ("typical", typical))
        },
        "pages": [],
        "exports": [],
    }
    seen: list[tuple[float, str, str]] = []  # (seconds, page, sql) of every query

    def page(what: str, url: str, query: dict | None = None, headers: dict | None = None):
        sizes = []

        def get():
            response = client.get(url, query or {}, headers=headers or {})
            assert response.status_code == 200, (what, url, query, response.status_code)
            # A section alone, not the whole page (the view picks it by HX-Target).
            fragment = (headers or {}).get("HX-Target")
            assert not fragment or b"<html" not in response.content, (what, "whole page")
            sizes.append(len(response.content))

        times, sql_times, queries = [], [], []
        for _ in range(args.runs):
            seconds, queries = captured(get)
            times.append(seconds)
            sql_times.append(sum(t for t, _ in queries))
            seen.extend((t, what, sql) for t, sql in queries)
        figures["pages"].append(
            {
                "what": what,
                "times": times,
                "sql_times": sql_times,
                "slowest_query": max(t for t, _ in queries),
                "queries": len(queries),
                "bytes": sizes[-1],
            }
        )

    page("overview", reverse("insights:overview"))
    page(
        f"overview, ?sort={args.overview_sort}",
        reverse("insights:overview"),
        {"sort": args.overview_sort},
    )
    today = timezone.localdate()
    month = (today - timedelta(days=29)).isoformat()
    year = (today - timedelta(days=365)).isoformat()  # the widest range the form takes
    today = today.isoformat()
    for label, course in (("biggest", welcome), ("busiest", busiest), ("typical", typical)):
        url = reverse("insights:course", args=[course.slug])
        name = f"course, {label} ({course.title})"
        filtered = {"days": 30, "page": 2, "sort": args.sort}
        page(name, url)
        page(f"{name}, ?days=30&page=2&sort={args.sort}", url, filtered)
        page(
            f"{name}, activity over 366 days (?start={year}&end={today})",
            url,
            {"start": year, "end": today},
        )
        # What htmx asks for when a section's form changes: that section alone.
        for target, query in (("stalled", filtered), ("activity", {"start": month, "end": today})):
            shown = "&".join(f"{k}={v}" for k, v in query.items())
            page(
                f"{name}, htmx: #{target} alone ({shown})",
                url,
                query,
                headers={
                    "HX-Request": "true",
                    "HX-Target": target,
                    "HX-Current-URL": f"http://testserver{url}",
                },
            )

    def export(what: str, url: str):
        results = []
        for _ in range(args.runs):
            reset = memory_peak_reset()
            before = memory_status()
            state = {}

            def consume(state=state):
                started = time.perf_counter()
                response = client.get(url)
                assert response.status_code == 200, (what, url, response.status_code)
                state["first_row"] = None
                rows = size = 0
                for chunk in response.streaming_content:
                    size += len(chunk)
                    rows += chunk.count(b"\n")
                    if state["first_row"] is None and rows > 1:  # past the header
                        state["first_row"] = time.perf_counter() - started
                response.close()
                state["rows"], state["bytes"] = rows - 1, size  # without the header row

            seconds, queries = captured(consume)
            after = memory_status()
            growth = (after["VmHWM"] - (before["VmRSS"] if reset else before["VmHWM"])) / 1024
            results.append(
                {
                    "seconds": seconds,
                    "first_row": state["first_row"],
                    "sql": sum(t for t, _ in queries),
                    "rows": state["rows"],
                    "bytes": state["bytes"],
                    "queries": len(queries),
                    "rss_growth_mb": growth,
                    "rss_after_mb": after["VmRSS"] / 1024,
                }
            )
            seen.extend((t, what, sql) for t, sql in queries)
        figures["exports"].append({"what": what, "runs": results, "peak_reset": reset})

    for label, course in (("biggest", welcome), ("busiest", busiest)):
        export(
            f"learners.csv, {label} ({course.title})",
            reverse("insights:learners_csv", args=[course.slug]),
        )
    for label, course in (("biggest", welcome), ("busiest", busiest)):
        url = reverse("insights:summary_csv", args=[course.slug])
        export(f"summary.csv, {label} ({course.title})", url)

    figures["explain"] = explain(seen, args.explain)
    return figures


def explain(seen: list[tuple[float, str, str]], count: int) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the `count` slowest statements seen, one per shape."""
    from django.db import connection

    slowest, done = [], set()
    if count < 1:
        return slowest
    for seconds, what, sql in sorted(seen, key=lambda item: -item[0]):
        shape = re.sub(r"'[^']*'|\b\d+\b", "?", sql)  # the same query for another course
        if shape in done or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        done.add(shape)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        slowest.append({"seconds": seconds, "page": what, "sql": sql, "plan": plan})
        if len(slowest) == count:
            break
    return slowest


# --- Reporting ---


def report(figures: dict) -> None:
    size = figures["size"]
    print(
        f"{figures['database']}: {size['learners']:,} accounts, {size['completions']:,} "
        f"completions; {figures['runs']} runs each; {figures['started']} to "
        f"{figures['ended']}; load average (1, 5, 15 min) "
        + " then ".join("/".join(f"{x:.1f}" for x in load) for load in figures["load"])
    )
    dead = ", ".join(f"{table} {n:,}" for table, n in figures["dead_rows_found"].items())
    then = "then VACUUM ANALYZE of these tables" if figures["vacuumed"] else "not vacuumed"
    print(f"Dead rows found: {dead}; {then}.")
    print()
    print("| course | learners started | lessons | not complete |")
    print("|---|--:|--:|--:|")
    for label, c in figures["courses"].items():
        print(
            f"| {label}: {c['title']} | {c['learners']:,} | {c['lessons']} "
            f"| {c['not complete']:,} |"
        )
    print()
    print("| page | median s | range s | queries | SQL s (median) | slowest query s | kB |")
    print("|---|--:|--|--:|--:|--:|--:|")
    for p in figures["pages"]:
        times = p["times"]
        print(
            f"| {p['what']} | {statistics.median(times):.3f} | {min(times):.3f} to "
            f"{max(times):.3f} | {p['queries']} | {statistics.median(p['sql_times']):.3f} "
            f"| {p['slowest_query']:.3f} | {p['bytes'] / 1000:.0f} |"
        )
    print()
    print(
        "| export | rows | median s | range s | rows/s (median) | first row s "
        "| RSS growth MB (max) | queries | SQL s |"
    )
    print("|---|--:|--:|--|--:|--:|--:|--:|--:|")
    for e in figures["exports"]:
        runs = e["runs"]
        times = [r["seconds"] for r in runs]
        rate = statistics.median(r["rows"] / r["seconds"] for r in runs)
        growth = max(r["rss_growth_mb"] for r in runs)
        print(
            f"| {e['what']} | {runs[-1]['rows']:,} | {statistics.median(times):.2f} "
            f"| {min(times):.2f} to {max(times):.2f} | {rate:,.0f} "
            f"| {statistics.median(r['first_row'] or 0 for r in runs):.3f} "
            f"| {growth:.1f} | {runs[-1]['queries']} "
            f"| {statistics.median(r['sql'] for r in runs):.2f} |"
        )
    for item in figures["explain"]:
        print()
        print(f"Slow query ({item['seconds'] * 1000:.0f} ms, {item['page']}):")
        print()
        print("```sql")
        print(item["sql"])
        print("```")
        print()
        print("```text")
        print(item["plan"])
        print("```")


# The targets of issue 12 at 100,000 learners.
PAGE_SECONDS = 1.0
CSV_ROWS_PER_SECOND = 20_000
CSV_RSS_MB = 100


def compare(runs: list[dict]) -> None:
    """Each page and export at each size (the last is the one held to the targets)."""

    def sizes(what: str) -> str:
        return " | ".join(f"{what}, {r['size']['learners'] - 1:,} learners" for r in runs)

    print(f"| page | {sizes('median s (range), queries')} | < {PAGE_SECONDS:.0f} s at the last |")
    print("|---|" + "--|" * len(runs) + ":-:|")
    for i, page in enumerate(runs[-1]["pages"]):
        cells = []
        for r in runs:
            p = r["pages"][i]
            t = p["times"]
            cells.append(
                f"{statistics.median(t):.2f} ({min(t):.2f} to {max(t):.2f}), {p['queries']}"
            )
        met = "yes" if statistics.median(page["times"]) < PAGE_SECONDS else "**no**"
        print(f"| {page['what']} | {' | '.join(cells)} | {met} |")
    print()
    print(
        f"| export | {sizes('rows, median s (range), rows/s, RSS growth MB, queries')} "
        f"| ≥ {CSV_ROWS_PER_SECOND:,} rows/s, < {CSV_RSS_MB} MB at the last |"
    )
    print("|---|" + "--|" * len(runs) + ":-:|")
    for i, export in enumerate(runs[-1]["exports"]):
        cells = []
        for r in runs:
            e = r["exports"][i]["runs"]
            t = [x["seconds"] for x in e]
            rate = statistics.median(x["rows"] / x["seconds"] for x in e)
            growth = max(x["rss_growth_mb"] for x in e)
            cells.append(
                f"{e[-1]['rows']:,}, {statistics.median(t):.2f} ({min(t):.2f} to {max(t):.2f}), "
                f"{rate:,.0f}, {growth:.1f}, {e[-1]['queries']}"
            )
        last = export["runs"]
        if export["what"].startswith("learners.csv"):
            rate = statistics.median(x["rows"] / x["seconds"] for x in last)
            growth = max(x["rss_growth_mb"] for x in last)
            met = "yes" if rate >= CSV_ROWS_PER_SECOND and growth < CSV_RSS_MB else "**no**"
        else:
            met = (
                "yes" if statistics.median(x["seconds"] for x in last) < PAGE_SECONDS else "**no**"
            )
        print(f"| {export['what']} | {' | '.join(cells)} | {met} |")


if __name__ == "__main__":
    sys.exit(main())
