"""A large benchmark data set: a school of 100,000 learners, six months in, in about a minute.

`python benchmarks/scale.py --learners 100000 [--database NAME] [--keep]` creates its own
PostgreSQL database (dropped at the end unless --keep), migrates it, fills it with
`scale_dataset_create()`, and prints the row counts and the load time. `make bench-scale
BENCH_ARGS="..."` runs it. The function alone fills whatever database Django is configured
with: migrated, on PostgreSQL, and without learners, courses or achievements yet.

At the default 100,000 learners (`learners` scales every per-learner quantity; courses,
lessons and achievements stay as they are):

- 201 published courses: "Welcome" (one lesson, which about 70 % of learners finished)
  and 200 of 5 to 40 lessons (about 4,800 lessons, each with a body of about 1 kB);
- about 290,000 progress rows and 3.9 million lesson completions over the last 180 days.
  Learners sign up on any day of the window and work from then on at their own pace, in
  sessions of a few lessons at their usual hour, on consecutive days or after a break of
  days to weeks (so streaks exist, in UTC and in the learner's own time zone), about as
  many every day. Some finish every course they start, many stall part-way and stop;
  those whose courses outlast the window are still going. About 8 % never start, a
  quarter were active in the last two weeks, two thirds not for more than a month. Most
  started one to three courses, some ten or more, a few dozen forty or more; `heavy`
  completed exactly 1,290 lessons across 56 courses. A few learners skipped a lesson, so
  "Continue" wraps back to it. No completion is dated today;
- progress rows that agree with the completions: `started_at` a little before the
  course's first completion, `completed_at` the last completion when every lesson is
  completed (NULL otherwise), `current_lesson` the next lesson not completed after the
  last one completed, wrapping round (NULL when complete), as `lesson_complete` leaves it;
  `lessons_done` their count and `last_activity_at` the newest of them (course insights);
- about 2 % of learners with a LearnerProfile in one of ten time zones (`heavy` in
  Europe/Paris);
- 30 site-wide achievements of all five rule types (lessons in total, courses finished,
  streaks of days, the finish of a popular course, five lessons of one) and 30 about the
  six most popular courses `heavy` took (its first lesson, 3, half, all but one, finished);
- every award the rules give at load time, all five rule types, about 1.24 million:
  streaks included, the longest run of consecutive local days counted in SQL in each
  learner's time zone (`settings.TIME_ZONE` without a profile) as `achievements.streaks`
  counts it. `trigger="backfill"`, the rule's snapshot, `unlocked_at` the moment the
  learner qualified, `announced_at` seconds later.

`scale_dataset_check()` (`--check`) counts the rows that break any of these promises.

How: Python draws each learner's history (`random.Random(seed)`: the same seed gives the
same rows all day, dated back from midnight UTC) and streams it with COPY into unlogged
staging tables, while PostgreSQL parses it on the other core; SQL then moves it into the
app's tables in chronological order (user ids follow `date_joined` and completion ids
follow `completed_at`, so a learner's rows are spread over the table as in production, not
packed together), and derives the awards. The big tables' indexes and constraints are
dropped during the load and rebuilt from their own definitions afterwards, then VACUUM
ANALYZE. The catalogue (courses, lessons, achievements) is small and goes through the ORM.
"""

import argparse
import json
import logging
import os
import random
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("benchmarks.scale")

LEARNERS = 100_000
WINDOW_DAYS = 180  # completions fall within the last WINDOW_DAYS days
COURSES = 200  # besides "Welcome"
LESSONS_PER_COURSE = (5, 40, 28)  # low, high, mode of a triangular draw: ~24 on average
WELCOME_SHARE = 0.70  # of all learners, finished the one-lesson welcome course
NEVER_START_SHARE = 0.08  # signed up, never completed a lesson
PROFILE_SHARE = 0.02
HEAVY_USERNAME = "heavy"
HEAVY_COMPLETIONS = 1_290
HEAVY_LEARNERS_PER_100K = 36  # besides `heavy`: 40 to 80 courses each
SKIP_SHARE = 0.04  # progress rows with one lesson skipped part-way
PASSWORD = "benchmark password, never used anywhere else"  # as in dataset.py
TIME_ZONES = (
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Africa/Lagos",
)
# Courses started besides "Welcome" by an ordinary learner who starts any: (count, weight).
COURSES_STARTED = (
    (0, 11), (1, 27), (2, 21), (3, 13), (4, 9), (5, 5.5), (6, 3.5), (7, 2.5), (8, 1.8),
    (9, 1.2), (12, 1.5), (20, 1),
)  # fmt: skip
FIRST_NAMES = (
    "Alice", "Bruno", "Chloé", "Dmitri", "Élodie", "François", "Gülşen", "Hélène", "Ingrid",
    "José", "Jürgen", "Katarzyna", "Léa", "Małgorzata", "Nuño", "Øystein", "Priya", "Renée",
    "Søren", "Tomás", "Zoë", "Aarav", "Mei", "Kwame", "Ana", "Björn", "Inès", "Noah", "Emma",
    "Liam", "Ayşe", "Nicolás", "Saoirse", "Yuki", "Amélie", "Oğuz", "Þóra", "Chidi",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "García", "Dvořák", "Øvergaard", "Nguyễn", "Smith", "O'Brien", "Kowalski",
    "Łukasik", "Rossi", "Lefèvre", "Johansson", "Núñez", "Silva", "Öztürk", "Kim", "Okafor",
    "Patel", "Schröder", "Brontë", "Jones", "Dubois", "Çelik", "Ferreira", "Novák", "Sørensen",
    "Mäkinen", "Gonçalves", "Wang", "Adeyemi", "Ní Bhriain", "Håkansson",
)  # fmt: skip
SUBJECTS = (
    "Python", "SQL", "Statistics", "Spreadsheets", "Public Speaking", "Photography",
    "Watercolour", "Music Theory", "French", "Spanish", "Japanese", "Accounting", "Marketing",
    "Project Management", "UX Design", "Typography", "Web Accessibility", "JavaScript",
    "Data Visualisation", "Machine Learning", "Linear Algebra", "Calculus", "Chemistry",
    "Astronomy", "Nutrition", "First Aid", "Gardening", "Woodworking", "Negotiation",
    "Creative Writing", "Philosophy", "World History", "Economics", "Climate Science",
    "Networking", "Linux", "Cybersecurity", "Cloud Computing", "Product Management",
    "Leadership", "Mindfulness", "Bookkeeping", "Copywriting", "Video Editing", "3D Modelling",
    "Electronics", "Robotics", "Game Design", "Ethics", "Sign Language",
)  # fmt: skip
LEVELS = ("Foundations", "in Practice", "Beyond the Basics", "Workshop")
SENTENCES = (
    "In this lesson we look at the idea from a practical angle before naming it.",
    "Start with the example below and change one thing at a time.",
    "Most beginners get stuck here, and that is a good sign: it means you are trying.",
    "The key point is that every step builds on the one before it.",
    "Take a moment to write down what you expect to happen, then check.",
    "We will come back to this in a later lesson, so do not worry about the details yet.",
    "Notice how the same pattern appears in a completely different setting.",
    "A common mistake is to skip the preparation; it always costs more time later.",
    "Try the exercise twice: once slowly, once from memory.",
    "If something feels unclear, reread the previous paragraph aloud.",
    "Experts rarely remember every rule; they remember where to look them up.",
    "Here is a short checklist you can keep next to you while you practise.",
    "The diagram in the course notes shows the same thing in one picture.",
    "Compare your result with a classmate's and explain the differences.",
    "Small, regular sessions beat one long session every time.",
    "By the end of this lesson you should be able to explain it in your own words.",
    "Think of a situation from your own life where this would have helped.",
    "We use plain examples on purpose, so the idea stands out.",
    "Mark the parts you found hard; the quiz at the end revisits them.",
    "There is no single right answer here, only better and worse reasons.",
)
LESSON_TOPICS = (
    "Getting started", "Key ideas", "A first example", "Common mistakes", "Practice",
    "Going further", "Putting it together", "A case study", "Review", "Project time",
    "Tools of the trade", "Questions and answers",
)  # fmt: skip
WELCOME_BODY = (
    "Welcome to the school! Each course is a list of short lessons. Read a lesson, try "
    "what it shows, then press Complete lesson: the progress bar moves, and milestones and "
    "achievements unlock as you go. Come back a little every day: streaks count.\n\n"
) * 3


# The big tables: their indexes and constraints are dropped while loading, then rebuilt.
BIG_TABLES = (
    "courses_lessoncompletion",
    "courses_userprogress",
    "achievements_userachievement",
)


def scale_dataset_create(*, learners: int = LEARNERS, seed: int = 5) -> dict:
    """Fill the current (migrated, empty) PostgreSQL database; return its row counts."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit(
            f"benchmarks/scale.py loads with PostgreSQL's COPY and SQL; the database is "
            f"{connection.vendor}. Set DATABASE_URL=postgres://... (SQLite is not supported)."
        )
    if learners < 10:
        raise ValueError("At least 10 learners.")
    # One transaction: a failure leaves the database as it was.
    with transaction.atomic(), connection.cursor() as cursor:
        _database_check_empty(cursor)
        # Sorts and index builds in memory (the machine has RAM to spare); the one commit
        # need not wait for its WAL flush.
        cursor.execute(
            "SET LOCAL work_mem = '512MB'; SET LOCAL maintenance_work_mem = '1GB';"
            "SET LOCAL synchronous_commit = off"
        )
        rebuild = _indexes_drop(cursor)
        with _step("catalogue (courses, lessons, achievements)"):
            catalogue = _catalogue_create(seed)
        history = _History(learners=learners, seed=seed, catalogue=catalogue)
        with _step("histories drawn and copied into staging tables"):
            _history_stage(cursor, history)
        with _step("learners, profiles, completions, progress moved into place"):
            _history_move(cursor, history)
        with _step("awards"):
            _awards_create(cursor)
        with _step("indexes and constraints rebuilt"):
            for statement in rebuild:
                cursor.execute(statement)
        cursor.execute(f"DROP TABLE {', '.join(STAGING)}")
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # the caller's transaction: VACUUM cannot run in one
            with _step("ANALYZE"):
                cursor.execute("ANALYZE")
        else:
            with _step("VACUUM ANALYZE"):
                cursor.execute("VACUUM ANALYZE")
        return _summary(cursor)


@contextmanager
def _step(what: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    log.info("%6.1f s  %s", time.monotonic() - started, what)


# --- The catalogue: courses, lessons, achievements (small: the ORM is quick enough) ---


@dataclass(frozen=True)
class _Course:
    id: int
    title: str
    lesson_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Catalogue:
    welcome: _Course
    others: tuple[_Course, ...]
    popularity: tuple[float, ...]  # cumulative weights over `others`, for rng.choices
    by_popularity: tuple[_Course, ...]  # `others`, the most popular first
    heavy_plan: tuple[tuple[_Course, int], ...]  # (course, lessons done) for `heavy`


def _catalogue_create(seed: int) -> _Catalogue:
    from django.utils.text import slugify

    from courses.models import Course, Lesson

    rng = random.Random(f"catalogue-{seed}")
    titles = [f"{subject} {level}" for level in LEVELS for subject in SUBJECTS]
    rng.shuffle(titles)
    rows = [("Welcome", "welcome", "Start here: how courses, progress and achievements work.")]
    rows += [
        (title, slugify(title), f"A course on {title.lower()}, one short lesson at a time.")
        for title in titles[:COURSES]
    ]
    courses = Course.objects.bulk_create(
        Course(title=title, slug=slug, description=text, is_published=True, position=i)
        for i, (title, slug, text) in enumerate(rows)
    )
    lessons = [Lesson(course=courses[0], title="Welcome", slug="welcome", body=WELCOME_BODY)]
    lessons[0].position = 1
    for course in courses[1:]:
        count = round(rng.triangular(*LESSONS_PER_COURSE))
        for n in range(1, count + 1):
            lessons.append(
                Lesson(
                    course=course,
                    title=f"{n}. {rng.choice(LESSON_TOPICS)}",
                    slug=f"lesson-{n}",
                    body=_lesson_body(rng),
                    position=n,
                )
            )
    Lesson.objects.bulk_create(lessons, batch_size=1_000)
    by_course: dict[int, list[int]] = {}
    for lesson in lessons:
        by_course.setdefault(lesson.course_id, []).append(lesson.id)
    built = [_Course(c.id, c.title, tuple(by_course[c.id])) for c in courses]
    # Popularity: a few flagship courses and a long tail, as on MOOC platforms (the top
    # ten have about 60 % of the enrolments), not tied to catalogue order.
    ranks = list(range(COURSES))
    rng.shuffle(ranks)
    weights = [1 / (rank + 2) ** 1.4 for rank in ranks]
    by_popularity = tuple(c for _, c in sorted(zip(ranks, built[1:], strict=True)))
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    # `heavy` finishes popular courses one after another, and is part-way through the last.
    plan, left = [(built[0], 1)], HEAVY_COMPLETIONS - 1
    for course in _sample(rng, built[1:], cumulative, COURSES):
        done = min(left, len(course.lesson_ids))
        if done == len(course.lesson_ids) and done == left:
            done -= 1  # finish on a course part-way; the rest goes to the next one
        plan.append((course, done))
        left -= done
        if not left:
            break
    catalogue = _Catalogue(
        built[0], tuple(built[1:]), tuple(cumulative), by_popularity, tuple(plan)
    )
    _achievements_create(rng, catalogue)
    # Courses were written over the weeks before the first learner signed up.
    Course.objects.update(created_at=_days_ago(WINDOW_DAYS + 30))
    return catalogue


def _lesson_body(rng: random.Random) -> str:
    paragraphs = [" ".join(rng.sample(SENTENCES, 4)) for _ in range(3)]
    return "\n\n".join(paragraphs)


def _achievements_create(rng: random.Random, catalogue: _Catalogue) -> None:
    """30 site-wide achievements (every rule type) and 30 about courses `heavy` took."""
    from achievements.models import Achievement, Rule
    from achievements.rules import rule_snapshot

    courses = catalogue.by_popularity  # admins reward the flagship courses
    items = [
        Achievement(
            name=f"{n} lessons", description=f"Complete {n} lessons.", icon="book",
            rule=Rule.LESSONS_COMPLETED, threshold=n,
        )
        for n in (1, 5, 10, 25, 50, 100, 150, 200, 300, 400)
    ]  # fmt: skip
    items += [
        Achievement(
            name=f"{n} courses", description=f"Finish {n} courses.", icon="trophy",
            rule=Rule.COURSES_COMPLETED, threshold=n,
        )
        for n in (1, 2, 3, 5, 10)
    ]  # fmt: skip
    items += [
        Achievement(
            name=f"{n} days in a row", description=f"Complete lessons {n} days in a row.",
            icon="flame", rule=Rule.STREAK_DAYS, threshold=n,
        )
        for n in (2, 3, 7, 14, 30)
    ]  # fmt: skip
    items += [
        Achievement(
            name=f"Finished {c.title}", description=f"Finish {c.title}.", icon="medal",
            rule=Rule.COURSE_COMPLETED, course_id=c.id,
        )
        for c in (catalogue.welcome, *courses[:4])
    ]  # fmt: skip
    items += [
        Achievement(
            name=f"Into {c.title}", description=f"Five lessons of {c.title}.", icon="star",
            rule=Rule.COURSE_LESSONS_COMPLETED, threshold=5, course_id=c.id,
        )
        for c in courses[4:9]
    ]  # fmt: skip
    # Per course: steps through the six most popular courses `heavy` took (the first
    # lesson, 3, half, all but one) and their finish, or 2 lessons where the finish is
    # rewarded above already.
    taken = {c.id for c, _ in catalogue.heavy_plan}
    flagships = [c for c in courses if c.id in taken and len(c.lesson_ids) >= 8][:6]
    for course in flagships:
        finish_rewarded = course in courses[:4]
        n = len(course.lesson_ids)
        steps = (*((2,) if finish_rewarded else ()), 1, 3, n // 2, n - 1)
        for n in steps:
            items.append(
                Achievement(
                    name=f"{n} lesson{'s' if n > 1 else ''} of {course.title}", icon="star",
                    description=f"Complete {n} lesson{'s' if n > 1 else ''} of {course.title}.",
                    rule=Rule.COURSE_LESSONS_COMPLETED, threshold=n, course_id=course.id,
                )
            )  # fmt: skip
        if not finish_rewarded:
            items.append(
                Achievement(
                    name=f"Graduate of {course.title}", icon="rocket",
                    description=f"Finish every lesson of {course.title}.",
                    rule=Rule.COURSE_COMPLETED, course_id=course.id,
                )
            )  # fmt: skip
    Achievement.objects.bulk_create(items)
    Achievement.objects.update(created_at=_days_ago(WINDOW_DAYS + 20))
    # Each award carries the rule as it was (rule_describe names the course: 60 reads).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE scale_snapshot (achievement_id bigint PRIMARY KEY, rule jsonb)"
        )
        cursor.executemany(
            "INSERT INTO scale_snapshot VALUES (%s, %s)",
            [(item.id, json.dumps(rule_snapshot(item))) for item in items],
        )


# --- Learners' histories, drawn in Python ---


@dataclass
class _Learner:
    """What Python decides about one learner; `g` is the order it was drawn in."""

    g: int
    joined: int  # epoch seconds
    last_login: int | None
    time_zone: str | None


class _History:
    """Draws learners one by one; the staging rows come out of `completions()`."""

    def __init__(self, *, learners: int, seed: int, catalogue: _Catalogue):
        self.count = learners
        self.seed = seed
        self.rng = random.Random(seed)
        self.catalogue = catalogue
        self.learners: list[_Learner] = []
        self.progress: list[tuple] = []  # (g, course, started, completed, current lesson)
        # Everything is dated from midnight UTC today, never from the clock: the same seed
        # gives the same rows all day. Histories end before that midnight.
        self.today = _today()
        self.today_epoch = int(datetime.combine(self.today, clock_time(), UTC).timestamp())
        # Timestamps as COPY text, from lookup tables: formatting 4 million datetimes
        # would take longer than the rest of the Python side put together.
        first = self.today_epoch // 86400 - WINDOW_DAYS - 3
        self.day_text = {
            d: (date(1970, 1, 1) + timedelta(days=d)).isoformat() + " "
            for d in range(first, first + WINDOW_DAYS + 8)
        }
        self.clock_text = [
            f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)
        ]
        heavy_learners = max(1, round(learners * HEAVY_LEARNERS_PER_100K / 100_000))
        self.heavy_every = learners // heavy_learners

    def ts(self, t: int) -> str:
        return self.day_text[t // 86400] + self.clock_text[t % 86400]

    def completions(self) -> Iterator[str]:
        """COPY text of every completion, learner by learner, in chunks."""
        chunk: list[str] = []
        for g in range(self.count):
            self._learner(g, chunk)
            if len(chunk) > 20_000:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)

    def _learner(self, g: int, out: list[str]) -> None:
        rng = self.rng
        zone = rng.choice(TIME_ZONES) if rng.random() < PROFILE_SHARE else None
        if g == 0:  # `heavy`: daily, about eight lessons a session, until yesterday
            plan = [(course, list(range(done))) for course, done in self.catalogue.heavy_plan]
            self._emit(0, rng, plan, WINDOW_DAYS - 5, 8.0, 0.97, "Europe/Paris", True, out)
            return
        heavy = g % self.heavy_every == self.heavy_every // 2
        # Sign-up: any day of the window.
        first_day = rng.randint(1, WINDOW_DAYS - 1)
        if not heavy and rng.random() < NEVER_START_SHARE:
            joined = self.today_epoch - first_day * 86400 + rng.randrange(86400)
            self.learners.append(_Learner(g, joined, joined + 20, zone))
            return
        plan = self._courses(rng, heavy)
        if heavy:  # early, steady, and every course they took fits in the window
            first_day = rng.randint(150, WINDOW_DAYS - 1)
            size_mean, streaky = 6 + 4 * rng.random(), 0.8 + 0.15 * rng.random()
        else:
            size_mean, streaky = 2.6 + rng.expovariate(0.4), 0.9 * rng.random()
        self._emit(g, rng, plan, first_day, size_mean, streaky, zone, heavy, out)

    def _courses(self, rng: random.Random, heavy: bool) -> list[tuple[_Course, list[int]]]:
        """The courses started, in order, each with the indexes of its lessons done."""
        if heavy:
            count, diligence, welcome = rng.randint(40, 80), 0.85, True
        else:
            welcome = rng.random() < WELCOME_SHARE / (1 - NEVER_START_SHARE)
            count = _weighted(rng, COURSES_STARTED)
            if count >= 10:
                count = rng.randint(count - 2, count + 5)
            count = max(count, 0 if welcome else 1)
            diligence = 0.32 + 0.6 * rng.random()
        plan = [(self.catalogue.welcome, [0])] if welcome else []
        for course in _sample(rng, self.catalogue.others, self.catalogue.popularity, count):
            n = len(course.lesson_ids)
            if rng.random() < diligence:
                done = list(range(n))
            else:  # stalled somewhere part-way
                done = list(range(min(n - 1, 1 + int((n - 1) * rng.random() ** 0.8))))
            if len(done) >= 4 and rng.random() < SKIP_SHARE:
                del done[rng.randrange(1, len(done) - 1)]
            plan.append((course, done))
        return plan

    def _emit(self, g, rng, plan, first_day, size_mean, streaky, zone, squeeze, out) -> None:
        """Lay the lessons out in sessions, write the completions, remember the progress.

        Learners whose plan outlasts yesterday are still going: the rest of it is for later.
        """
        steps = [(ci, course.lesson_ids[i]) for ci, (course, done) in enumerate(plan) for i in done]
        sessions = _sessions(rng, len(steps), first_day, size_mean, streaky, squeeze)
        local_zone = ZoneInfo(zone) if zone else None
        usual = rng.choice((7, 8, 12, 13, 18, 19, 20, 20, 21, 21, 22)) * 3600
        limit = self.today_epoch - 60
        first = [0] * len(plan)
        last = [0] * len(plan)
        seen = -1
        i = previous_end = 0
        random_ = rng.random
        day_text, clock_text = self.day_text, self.clock_text
        for day_offset, size in sessions:
            local = min(max(usual + int(rng.gauss(0, 2400)), 5 * 3600), 23 * 3600)
            if local_zone is None:  # settings.TIME_ZONE, UTC
                t = self.today_epoch - day_offset * 86400 + local
            else:  # the usual hour on that day there
                day = self.today - timedelta(days=day_offset)
                midnight = datetime.combine(day, clock_time(), local_zone)
                t = int((midnight + timedelta(seconds=local)).timestamp())
            # A session starts after the last one ended (a learner's completions are in
            # the order of the lessons), and early enough to end before midnight UTC today.
            t = max(min(t, limit - 900 * size), previous_end + 1800)
            if t + 900 * size > limit and not squeeze:
                break  # a second session yesterday, too late: that is for today
            session_start = t
            for ci, lesson_id in steps[i : i + size]:
                t = min(t + 120 + int(780 * random_()), limit)  # 2 to 15 minutes each
                out.append(f"{g}\t{lesson_id}\t{day_text[t // 86400]}{clock_text[t % 86400]}\n")
                if ci != seen:
                    first[ci], seen = t, ci
                last[ci] = t
            i += size
            previous_end = t
        reached = 0  # lessons of the plan written so far
        for ci, (course, planned) in enumerate(plan):
            done = planned[: max(0, i - reached)]
            reached += len(planned)
            if not done:
                break  # not started yet
            n = len(course.lesson_ids)
            complete = len(done) == n
            if complete:
                current = None
            else:  # as lesson_complete leaves it: next not done after the last one done
                missing = sorted(set(range(n)) - set(done))
                current = course.lesson_ids[next((m for m in missing if m > done[-1]), missing[0])]
            started = first[ci] - rng.randrange(5, 120)
            self.progress.append(
                (g, course.id, self.ts(started), self.ts(last[ci]) if complete else None, current)
            )
        joined = first[0] - rng.randrange(60, 1800)
        last_login = session_start - rng.randrange(30, 600)
        self.learners.append(_Learner(g, joined, max(last_login, joined), zone))


def _sessions(rng, lessons, first_day, size_mean, streaky, squeeze) -> list[tuple[int, int]]:
    """(days ago, lessons) for each session, oldest first, from `first_day` days ago.

    Sessions of about `size_mean` lessons; the next one the day after with probability
    `streaky`, otherwise 2 days to a few weeks later (rarely the same day). Sessions that
    would fall today or later are left out; with `squeeze`, every lesson fits by yesterday.
    """
    room = first_day - 1  # days from the first session's to yesterday
    while True:
        sizes, left = [], lessons
        while left:
            size = min(left, 1 + int(rng.expovariate(1 / size_mean)))
            sizes.append(size)
            left -= size
        gaps = [_gap(rng, streaky) for _ in sizes[1:]]
        days = sum(1 for gap in gaps if gap)
        if not squeeze or days <= room:
            break
        size_mean *= 1.5  # more days of study than the window has: longer sessions
    if squeeze and sum(gaps) > room:  # shorten the breaks, never the runs of days
        factor = (room - days) / (sum(gaps) - days)
        gaps = [1 + int((gap - 1) * factor) if gap else 0 for gap in gaps]
    out, day = [(first_day, sizes[0])], first_day
    for gap, size in zip(gaps, sizes[1:], strict=True):
        day -= gap
        if day < 1:
            break
        out.append((day, size))
    return out


def _gap(rng: random.Random, streaky: float) -> int:
    """Days from one session to the next: 1 with probability `streaky`, rarely 0."""
    r = rng.random()
    return 1 if r < streaky else 0 if r < streaky + 0.04 else 2 + int(rng.expovariate(0.25))


def _weighted(rng: random.Random, table: tuple) -> int:
    values = [value for value, _ in table]
    return rng.choices(values, weights=[weight for _, weight in table])[0]


def _sample(rng: random.Random, items, cumulative, k: int) -> list:
    """k distinct items, drawn by weight."""
    chosen, seen = [], set()
    k = min(k, len(items))
    while len(chosen) < k:
        for item in rng.choices(items, cum_weights=cumulative, k=k - len(chosen)):
            if id(item) not in seen:
                seen.add(id(item))
                chosen.append(item)
    return chosen[:k]


def _today() -> date:
    return datetime.now(UTC).date()


def _days_ago(days: int) -> datetime:
    return datetime.combine(_today() - timedelta(days=days), clock_time(9), UTC)


# --- Loading: COPY into staging tables, then SQL into the app's tables ---

STAGING = (
    "scale_learner",
    "scale_completion",
    "scale_progress",
    "scale_uid",
    "scale_snapshot",
)


def _history_stage(cursor, history: _History) -> None:
    """COPY the drawn history into unlogged staging tables, keyed by draw order `g`."""
    cursor.execute(
        """
        CREATE UNLOGGED TABLE scale_completion (
            g integer, lesson_id bigint, completed_at timestamptz);
        CREATE UNLOGGED TABLE scale_progress (
            g integer, course_id bigint, started_at timestamptz, completed_at timestamptz,
            current_lesson_id bigint);
        CREATE UNLOGGED TABLE scale_learner (
            g integer, joined timestamptz, last_login timestamptz, time_zone text);
        """
    )
    # Python draws and formats while PostgreSQL parses what it has been sent: two cores.
    with cursor.copy("COPY scale_completion (g, lesson_id, completed_at) FROM STDIN") as copy:
        for chunk in history.completions():
            copy.write(chunk)
    with cursor.copy("COPY scale_progress FROM STDIN") as copy:
        for row in history.progress:
            copy.write_row(row)
    with cursor.copy("COPY scale_learner FROM STDIN") as copy:
        for x in history.learners:
            last_login = history.ts(x.last_login) if x.last_login else None
            copy.write_row((x.g, history.ts(x.joined), last_login, x.time_zone))


def _history_move(cursor, history: _History) -> None:
    """Staging to the app's tables, in the order production would have written them."""
    from django.contrib.auth.hashers import make_password

    # One hash for all (hashing costs ~1 s each), with a fixed salt: same seed, same rows.
    password = make_password(PASSWORD, salt=f"benchmarkscale{history.seed}")
    # User ids in sign-up order; usernames learner000001... in the same order; `heavy`
    # (g = 0) keeps its place among them. Names: three learners in five gave theirs.
    rng = random.Random(f"names-{history.rng.random()}")
    names = [
        (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) if rng.random() < 0.6 else ("", "")
        for _ in range(history.count)
    ]
    cursor.execute(
        """
        CREATE UNLOGGED TABLE scale_uid AS
        SELECT g, row_number() OVER (ORDER BY joined, g)::integer AS id,
               (row_number() OVER (PARTITION BY g = 0 ORDER BY joined, g))::integer AS number
        FROM scale_learner;
        ALTER TABLE scale_uid ADD PRIMARY KEY (g);
        CREATE UNLOGGED TABLE scale_name (g integer PRIMARY KEY, first_name text, last_name text);
        """
    )
    with cursor.copy("COPY scale_name FROM STDIN") as copy:
        for g, (first_name, last_name) in enumerate(names):
            copy.write_row((g, first_name, last_name))
    cursor.execute(
        """
        INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name,
                               last_name, email, is_staff, is_active, date_joined)
        SELECT u.id, %s, l.last_login, false, x.username, n.first_name, n.last_name,
               x.username || '@example.com', false, true, l.joined
        FROM scale_learner l JOIN scale_uid u USING (g) JOIN scale_name n USING (g),
             LATERAL (SELECT CASE WHEN g = 0 THEN %s
                                  ELSE 'learner' || lpad(u.number::text, 6, '0') END
                      AS username) x
        ORDER BY u.id
        """,
        [password, HEAVY_USERNAME],
    )
    # No parameters below: psycopg sends several statements in one go only then (the
    # settings turn on server-side binding, which prepares one statement at a time).
    cursor.execute(
        """
        SELECT setval(pg_get_serial_sequence('auth_user', 'id'), (SELECT max(id) FROM auth_user));
        DROP TABLE scale_name;

        -- Every account has its row (sign-up makes it): the lock, the page token, and
        -- accounts.usernames.username_skeleton of the (ASCII) username.
        INSERT INTO accounts_learnerprofile (user_id, time_zone, page_token, username_skeleton)
        SELECT u.id, coalesce(l.time_zone, ''), substr(md5(u.id::text || random()::text), 1, 16),
               replace(replace(lower(translate(a.username, '01I|', 'olll')), 'rn', 'm'),
                       'vv', 'w')
        FROM scale_learner l JOIN scale_uid u USING (g) JOIN auth_user a ON a.id = u.id
        ORDER BY u.id;

        -- Completion ids follow completed_at: a learner's rows lie all over the table.
        INSERT INTO courses_lessoncompletion (user_id, lesson_id, completed_at)
        SELECT u.id, c.lesson_id, c.completed_at
        FROM scale_completion c JOIN scale_uid u USING (g)
        ORDER BY c.completed_at, u.id, c.lesson_id;

        INSERT INTO courses_userprogress (user_id, course_id, current_lesson_id, started_at,
                                          completed_at, lessons_done, last_activity_at)
        SELECT u.id, p.course_id, p.current_lesson_id, p.started_at, p.completed_at,
               coalesce(d.n, 0), d.last_at
        FROM scale_progress p JOIN scale_uid u USING (g)
        LEFT JOIN (SELECT c.g, l.course_id, count(*) AS n, max(c.completed_at) AS last_at
                   FROM scale_completion c JOIN courses_lesson l ON l.id = c.lesson_id
                   GROUP BY 1, 2) d ON d.g = p.g AND d.course_id = p.course_id
        ORDER BY p.started_at, u.id, p.course_id;
        """
    )


def _awards_create(cursor) -> None:
    """Every award the rules give now, made in SQL from the rows just loaded.

    Each is dated when the learner qualified: the Nth completion (in total, or in the
    course), the Nth course completed, the course's completion, the first completion on
    the Nth day of a run of consecutive days in the learner's time zone. These are the
    rules of `achievements.rules.rule_qualifying_user_ids`, streaks included.
    """
    from django.conf import settings

    cursor.execute(
        """
        INSERT INTO achievements_userachievement (
            user_id, achievement_id, unlocked_at, announced_at, trigger, rule_snapshot,
            reason, revoke_reason, public_id, is_public)
        WITH nth_lesson AS (
            SELECT user_id, completed_at,
                   row_number() OVER (PARTITION BY user_id ORDER BY completed_at, id) AS n
            FROM courses_lessoncompletion
        ), nth_in_course AS (
            SELECT c.user_id, l.course_id, c.completed_at,
                   row_number() OVER (PARTITION BY c.user_id, l.course_id
                                      ORDER BY c.completed_at, c.id) AS n
            FROM courses_lessoncompletion c JOIN courses_lesson l ON l.id = c.lesson_id
            WHERE l.course_id IN (SELECT course_id FROM achievements_achievement
                                  WHERE rule = 'course_lessons_completed')
        ), nth_course AS (
            SELECT user_id, course_id, completed_at,
                   row_number() OVER (PARTITION BY user_id ORDER BY completed_at, id) AS n
            FROM courses_userprogress WHERE completed_at IS NOT NULL
        ), local_day AS (  -- each learner's days with a completion, in their time zone
            SELECT c.user_id,
                   (c.completed_at AT TIME ZONE coalesce(nullif(p.time_zone, ''), %(zone)s))::date
                   AS day,
                   min(c.completed_at) AS first_at
            FROM courses_lessoncompletion c
            LEFT JOIN accounts_learnerprofile p ON p.user_id = c.user_id
            GROUP BY 1, 2
        ), run AS (  -- consecutive days share day - (its rank): one value per run
            SELECT user_id, day, first_at,
                   day - (row_number() OVER (PARTITION BY user_id ORDER BY day))::integer
                   AS run_id
            FROM local_day
        ), run_day AS (  -- the how-many-th day of its run each day is
            SELECT user_id, first_at,
                   row_number() OVER (PARTITION BY user_id, run_id ORDER BY day) AS n
            FROM run
        ), award AS (
            SELECT a.id AS achievement_id, x.user_id, x.completed_at AS unlocked_at
            FROM nth_lesson x JOIN achievements_achievement a
              ON a.rule = 'lessons_completed' AND a.threshold = x.n
            UNION ALL
            SELECT a.id, x.user_id, x.completed_at
            FROM nth_in_course x JOIN achievements_achievement a
              ON a.rule = 'course_lessons_completed' AND a.course_id = x.course_id
             AND a.threshold = x.n
            UNION ALL
            SELECT a.id, x.user_id, x.completed_at
            FROM nth_course x JOIN achievements_achievement a
              ON a.rule = 'courses_completed' AND a.threshold = x.n
            UNION ALL
            SELECT a.id, x.user_id, x.completed_at
            FROM nth_course x JOIN achievements_achievement a
              ON a.rule = 'course_completed' AND a.course_id = x.course_id
            UNION ALL
            SELECT a.id, x.user_id, min(x.first_at)
            FROM run_day x JOIN achievements_achievement a
              ON a.rule = 'streak_days' AND a.threshold = x.n
            GROUP BY 1, 2
        )
        SELECT w.user_id, w.achievement_id, w.unlocked_at,
               w.unlocked_at + interval '2 seconds', 'backfill', s.rule, '', '',
               gen_random_uuid(), false
        FROM award w JOIN scale_snapshot s USING (achievement_id)
        ORDER BY w.unlocked_at, w.user_id, w.achievement_id
        """,
        {"zone": settings.TIME_ZONE},
    )


def _database_check_empty(cursor) -> None:
    for table in ("auth_user", "courses_course", "achievements_achievement", *BIG_TABLES):
        cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")
        if cursor.fetchone()[0]:
            raise SystemExit(f"{table} has rows: scale_dataset_create needs an empty database.")


def _indexes_drop(cursor) -> list[str]:
    """Drop the big tables' indexes and constraints; return the statements that rebuild them.

    Taken from the catalog, so they are whatever the migrations made, names included.
    Primary keys and unique constraints first, then the other indexes, then foreign keys.
    """
    rebuild, drops = [], []
    for table in BIG_TABLES:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')
            ORDER BY contype = 'f', conname
            """,
            [table],
        )
        for name, definition, kind in cursor.fetchall():
            drops.append((kind == "f", f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            rebuild.append(
                (kind == "f", f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            )
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i
            WHERE indrelid = %s::regclass
              AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [table],
        )
        for name, definition in cursor.fetchall():
            drops.append((False, f"DROP INDEX {name}"))
            rebuild.append((False, definition))
    # Foreign keys go first (a key may lean on a unique index) and come back last.
    for _, statement in sorted(drops, key=lambda item: not item[0]):
        cursor.execute(statement)
    return [statement for _, statement in sorted(rebuild, key=lambda item: item[0])]


def _summary(cursor) -> dict:
    counts = {}
    for key, table in (
        ("learners", "auth_user"),
        ("courses", "courses_course"),
        ("lessons", "courses_lesson"),
        ("progress", "courses_userprogress"),
        ("completions", "courses_lessoncompletion"),
        ("achievements", "achievements_achievement"),
        ("awards", "achievements_userachievement"),
        ("profiles with a time zone", "accounts_learnerprofile WHERE time_zone <> ''"),
    ):
        cursor.execute(f"SELECT count(*) FROM {table}")
        counts[key] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT count(*) FROM courses_lessoncompletion c JOIN auth_user u ON u.id = c.user_id"
        " WHERE u.username = %s",
        [HEAVY_USERNAME],
    )
    counts["heavy_username"] = HEAVY_USERNAME
    counts["heavy_completions"] = cursor.fetchone()[0]
    return counts


# --- Consistency checks: each query counts the rows that break one promise ---

CHECKS = {
    "completions without a progress row": """
        SELECT count(*) FROM courses_lessoncompletion c
        JOIN courses_lesson l ON l.id = c.lesson_id
        WHERE NOT EXISTS (SELECT FROM courses_userprogress p
                          WHERE p.user_id = c.user_id AND p.course_id = l.course_id)
    """,
    "progress rows that disagree with their completions": """
        WITH done AS (
            SELECT c.user_id, l.course_id, count(*) AS n, min(c.completed_at) AS first_at,
                   max(c.completed_at) AS last_at
            FROM courses_lessoncompletion c JOIN courses_lesson l ON l.id = c.lesson_id
            GROUP BY 1, 2
        ), size AS (SELECT course_id, count(*) AS n FROM courses_lesson GROUP BY 1)
        SELECT count(*) FROM courses_userprogress p
        JOIN size s ON s.course_id = p.course_id
        LEFT JOIN done d ON d.user_id = p.user_id AND d.course_id = p.course_id
        WHERE d.n IS NULL  -- started, nothing done: never made here
           OR p.started_at > d.first_at OR p.started_at < d.first_at - interval '5 minutes'
           OR (d.n = s.n) IS DISTINCT FROM (p.completed_at IS NOT NULL)
           OR (d.n = s.n AND p.completed_at <> d.last_at)
           OR (d.n = s.n) IS DISTINCT FROM (p.current_lesson_id IS NULL)
           OR p.lessons_done <> d.n
           OR p.last_activity_at IS DISTINCT FROM d.last_at
    """,
    "accounts without their profile row": """
        SELECT count(*) FROM auth_user u
        WHERE NOT EXISTS (SELECT FROM accounts_learnerprofile p WHERE p.user_id = u.id)
    """,
    "current lessons that are not the next lesson to do": """
        WITH last_done AS (  -- the lesson completed last in each started course
            SELECT DISTINCT ON (c.user_id, l.course_id) c.user_id, l.course_id, l.position
            FROM courses_lessoncompletion c JOIN courses_lesson l ON l.id = c.lesson_id
            ORDER BY c.user_id, l.course_id, c.completed_at DESC, c.id DESC
        )
        SELECT count(*) FROM courses_userprogress p
        JOIN last_done d ON d.user_id = p.user_id AND d.course_id = p.course_id
        WHERE p.current_lesson_id IS DISTINCT FROM (
            -- next_incomplete(after=last done): forward first, then wrap to earlier gaps
            SELECT l.id FROM courses_lesson l
            WHERE l.course_id = p.course_id
              AND NOT EXISTS (SELECT FROM courses_lessoncompletion c
                              WHERE c.user_id = p.user_id AND c.lesson_id = l.id)
            ORDER BY l.position <= d.position, l.position LIMIT 1)
    """,
    "awards the count rules do not give, or missing ones": """
        WITH done AS (
            SELECT c.user_id, l.course_id, count(*) AS n
            FROM courses_lessoncompletion c JOIN courses_lesson l ON l.id = c.lesson_id
            GROUP BY 1, 2
        ), finished AS (
            SELECT user_id, course_id FROM courses_userprogress WHERE completed_at IS NOT NULL
        ), due AS (
            SELECT a.id, t.user_id FROM achievements_achievement a
            JOIN (SELECT user_id, sum(n) AS n FROM done GROUP BY 1) t ON t.n >= a.threshold
            WHERE a.rule = 'lessons_completed'
            UNION ALL
            SELECT a.id, d.user_id FROM achievements_achievement a
            JOIN done d ON d.course_id = a.course_id AND d.n >= a.threshold
            WHERE a.rule = 'course_lessons_completed'
            UNION ALL
            SELECT a.id, f.user_id FROM achievements_achievement a
            JOIN (SELECT user_id, count(*) AS n FROM finished GROUP BY 1) f
              ON f.n >= a.threshold
            WHERE a.rule = 'courses_completed'
            UNION ALL
            SELECT a.id, f.user_id FROM achievements_achievement a
            JOIN finished f ON f.course_id = a.course_id
            WHERE a.rule = 'course_completed'
        ), held AS (
            SELECT u.achievement_id AS id, u.user_id FROM achievements_userachievement u
            JOIN achievements_achievement a ON a.id = u.achievement_id
            WHERE a.rule <> 'streak_days' AND u.revoked_at IS NULL
        )
        SELECT count(*) FROM ((SELECT * FROM due EXCEPT ALL SELECT * FROM held)
                              UNION ALL (SELECT * FROM held EXCEPT ALL SELECT * FROM due)) x
    """,
    "awards without their dates, or dated before the learner joined": """
        SELECT count(*) FROM achievements_userachievement w
        JOIN auth_user u ON u.id = w.user_id
        WHERE w.announced_at IS NULL OR w.unlocked_at < u.date_joined
           OR w.unlocked_at > now() OR w.trigger <> 'backfill'
    """,
    "completions outside the window, or before the learner joined": """
        SELECT count(*) FROM courses_lessoncompletion c JOIN auth_user u ON u.id = c.user_id
        WHERE c.completed_at > now() OR c.completed_at < now() - interval '181 days'
           OR c.completed_at < u.date_joined
    """,
}


def scale_dataset_check() -> dict[str, int]:
    """Rows breaking each promise of the data set (all zeros when it holds)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '512MB'")
        found = {}
        for what, query in CHECKS.items():
            cursor.execute(query)
            found[what] = cursor.fetchone()[0]
        cursor.execute("RESET work_mem")
        # The loader computes the skeletons in SQL; the app's own function is the judge.
        from accounts.usernames import username_skeleton

        cursor.execute(
            "SELECT u.username, p.username_skeleton FROM auth_user u"
            " JOIN accounts_learnerprofile p ON p.user_id = u.id"
        )
        found["profiles whose username skeleton is not accounts.usernames'"] = sum(
            username_skeleton(username) != skeleton for username, skeleton in cursor.fetchall()
        )
    return found


# --- The command line: a database of its own ---


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="progress_scale")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--check", action="store_true", help="then check its consistency")
    args = parser.parse_args()

    import psycopg

    os.environ.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"{args.postgres}/{args.database}",
        DJANGO_SETTINGS_MODULE="progress_site.settings",
    )
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    try:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        # Each step's time on stdout (the settings' root logger shows warnings only).
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        migrated = time.monotonic()
        summary = scale_dataset_create(learners=args.learners, seed=args.seed)
        loaded = time.monotonic()
        width = max(len(key) for key in summary)
        for key, value in summary.items():
            print(f"{key:<{width}}  {value:>12,}" if isinstance(value, int) else
                  f"{key:<{width}}  {value:>12}")  # fmt: skip
        print(
            f"Migrated in {migrated - started:.1f} s, loaded in {loaded - migrated:.1f} s "
            f"(VACUUM ANALYZE included) into {args.database}."
        )
        if args.check:
            found = scale_dataset_check()
            for what, count in found.items():
                print(f"{count:>8,}  {what}")
            print(f"Checked in {time.monotonic() - loaded:.1f} s.")
            if any(found.values()):
                return 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
