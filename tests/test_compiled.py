"""Compiled queries answer exactly what the same queryset answers, for any arguments."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import FETCH_PEERS, BigIntegerField, CharField, DateTimeField, IntegerField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from courses.models import Lesson, LessonCompletion, UserProgress
from progress_site.compiled import Insert, Update, compiled, prepare_every_statement, run_together
from tests.achievements.helpers import completions_create
from tests.factories import CourseFactory, UserFactory
from tests.parallel import in_parallel, wait_until_a_lock_is_awaited

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
KOLKATA, NEW_YORK = ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York")


def completions_of(*, user_id, since):
    return LessonCompletion.objects.filter(user_id=user_id, completed_at__gte=since).order_by(
        "completed_at"
    )


def lessons_by_slug(*, course_slug, slugs_after):
    return Lesson.objects.filter(course__slug=course_slug, slug__gt=slugs_after).values_list(
        "id", "slug"
    )


@pytest.fixture
def history():
    """Two learners, each with completions one day apart."""
    lessons = list(CourseFactory(slug="c", lessons=4).lessons.order_by("position"))
    learners = UserFactory.create_batch(2)
    completions_create(
        (user.pk, lesson.pk, START + timedelta(days=i + n))
        for n, user in enumerate(learners)
        for i, lesson in enumerate(lessons)
    )
    return learners


def test_objects_are_the_querysets_rows_with_converted_values(history):
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    for user in history:
        for days, zone in enumerate([UTC, KOLKATA, UTC, NEW_YORK, KOLKATA, UTC]):
            # The same instant in any zone: the field adapts it as the ORM would.
            since = (START + timedelta(days=days)).astimezone(zone)
            expected = list(completions_of(user_id=user.pk, since=since))

            got = query.objects(user_id=user.pk, since=since)

            assert got == expected
            assert [c.completed_at for c in got] == [c.completed_at for c in expected]
            assert all(c.completed_at.tzinfo is not None for c in got)


def test_rows_are_the_querysets_rows():
    CourseFactory(slug="c", lessons=3)
    query = compiled(course_slug=CharField(), slugs_after=CharField())(lessons_by_slug)
    for course_slug in ("c", "missing"):
        for after in ("", "lesson-", "lesson-zzz"):
            expected = list(lessons_by_slug(course_slug=course_slug, slugs_after=after))
            assert query.rows(course_slug=course_slug, slugs_after=after) == expected


def test_rows_adapt_the_arguments_as_the_orm_does(history):
    def ids_since(*, user_id, since):
        return completions_of(user_id=user_id, since=since).values_list("id")

    query = compiled(user_id=IntegerField(), since=DateTimeField())(ids_since)
    for user in history:
        for days, zone in enumerate([UTC, KOLKATA, UTC, NEW_YORK, KOLKATA, UTC]):
            since = (START + timedelta(days=days)).astimezone(zone)
            expected = list(ids_since(user_id=user.pk, since=since))
            assert query.rows(user_id=user.pk, since=since) == expected


def test_the_queryset_is_built_once(history):
    built = []

    def build(*, user_id, since):
        built.append(1)
        return completions_of(user_id=user_id, since=since)

    query = compiled(user_id=IntegerField(), since=DateTimeField())(build)
    for user in history:
        query.objects(user_id=user.pk, since=START)

    assert len(built) == 1


def test_every_argument_is_required_and_no_other():
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    with pytest.raises(TypeError):
        query.objects(user_id=1)
    with pytest.raises(TypeError):
        query.objects(user_id=1, since=START, extra=2)


def _expected_ids(user, since=START):
    return [c.pk for c in completions_of(user_id=user.pk, since=since)]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_statement_again(history):
    """A server reconnects (CONN_MAX_AGE, a restarted database): statements prepared on
    the old connection are gone, and the query must still answer."""
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    user = history[0]
    assert [c.pk for c in query.objects(user_id=user.pk, since=START)] == _expected_ids(user)

    connection.close()

    assert [c.pk for c in query.objects(user_id=user.pk, since=START)] == _expected_ids(user)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_in_a_rolled_back_transaction_still_answers(history):
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    user = history[0]

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        query.objects(user_id=user.pk, since=START)
        1 / 0  # noqa: B018 - any error that rolls the transaction back

    assert [c.pk for c in query.objects(user_id=user.pk, since=START)] == _expected_ids(user)
    assert [c.pk for c in query.objects(user_id=history[1].pk, since=START)] == _expected_ids(
        history[1]
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_s_first_statement_outside_a_transaction_also_prepares_locks(history):
    """A connection prepares every hot statement on its first need, which may be a read
    outside any transaction (the lesson lookup): the locking ones must not refuse."""
    lock = compiled(user_id=IntegerField())(
        lambda *, user_id: get_user_model().objects.filter(pk=user_id).select_for_update()
    )
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    user = history[0]
    connection.close()

    assert [c.pk for c in query.objects(user_id=user.pk, since=START)] == _expected_ids(user)
    with transaction.atomic():
        assert [u.pk for u in lock.objects(user_id=user.pk)] == [user.pk]


def test_arguments_used_twice_and_constants_in_the_query(history):
    """An argument may occur more than once, beside constants the queryset holds."""

    def both_ends(*, user_id, since):
        return (
            LessonCompletion.objects.filter(user_id=user_id, completed_at__gte=since)
            .exclude(lesson__course__slug="a constant with 'quotes' and 100%")
            .filter(lesson__completions__user_id=user_id)
            .order_by("completed_at")
            .values_list("id", flat=True)
        )

    query = compiled(user_id=IntegerField(), since=DateTimeField())(both_ends)
    for user in history:
        for days in range(5):
            since = START + timedelta(days=days)
            expected = [(pk,) for pk in both_ends(user_id=user.pk, since=since)]
            assert query.rows(user_id=user.pk, since=since) == expected


def test_an_insert_writes_each_call_s_values_not_the_first_call_s(history):
    """auto_now_add must not stamp the moment of compiling into the statement."""
    query = compiled(
        user_id=IntegerField(), lesson_id=IntegerField(), completed_at=DateTimeField()
    )(
        lambda *, user_id, lesson_id, completed_at: Insert(
            LessonCompletion(user_id=user_id, lesson_id=lesson_id, completed_at=completed_at)
        )
    )
    learner = UserFactory()
    lessons = list(Lesson.objects.order_by("position"))
    moments = [START + timedelta(days=3 * n, hours=n) for n in range(len(lessons))]

    for lesson, moment in zip(lessons, moments, strict=True):
        insert = query.statement(user_id=learner.pk, lesson_id=lesson.pk, completed_at=moment)
        assert insert.run().rowcount == 1

    written = LessonCompletion.objects.filter(user=learner).order_by("completed_at")
    assert [(c.lesson_id, c.completed_at) for c in written] == [
        (lesson.pk, moment) for lesson, moment in zip(lessons, moments, strict=True)
    ]


def test_an_update_changes_the_rows_queryset_update_would(history):
    query = compiled(user_id=IntegerField(), completed_at=DateTimeField())(
        lambda *, user_id, completed_at: Update(
            UserProgress.objects.filter(user_id=user_id), completed_at=completed_at
        )
    )
    first, second = history
    course = Lesson.objects.first().course
    for user in history:
        UserProgress.objects.create(user=user, course=course)

    assert query.statement(user_id=first.pk, completed_at=START).run().rowcount == 1
    assert query.statement(user_id=UserFactory().pk, completed_at=START).run().rowcount == 0

    assert UserProgress.objects.get(user=first).completed_at == START
    assert UserProgress.objects.get(user=second).completed_at is None


@pytest.mark.postgres_only
def test_behind_a_transaction_pooler_statements_are_sent_whole(history, settings):
    """PREPARE_STATEMENTS=0: no statement outlives its transaction on the connection."""
    settings.PREPARE_STATEMENTS = False
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    user = history[0]

    with CaptureQueriesContext(connection) as captured:
        got = [c.pk for c in query.objects(user_id=user.pk, since=START)]

    assert got == _expected_ids(user)
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_statements_the_connection_already_holds_are_not_prepared_again(history):
    """A batch of PREPAREs that failed part way (a lock timeout during a migration)
    leaves some prepared: the next need must take them as they are, not fail on them."""
    query = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    user = history[0]
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(query._compiled().prepare)  # behind the bookkeeping's back

    assert [c.pk for c in query.objects(user_id=user.pk, since=START)] == _expected_ids(user)


def test_ids_beyond_32_bits_are_looked_up_not_refused(history):
    """Primary keys are 64-bit (BigAutoField): so are the arguments compared with them."""
    from courses.selectors import course_lessons_statement

    course = Lesson.objects.first().course
    course.pk = 3_000_000_000  # not saved: a course id no row has
    assert course_lessons_statement(user=history[0], course=course).run() == ([], frozenset())


def test_a_statement_without_arguments(history):
    query = compiled()(lambda: LessonCompletion.objects.order_by("pk").values_list("pk"))
    assert query.rows() == list(LessonCompletion.objects.order_by("pk").values_list("pk"))


def test_a_literal_percent_in_the_sql_survives(history):
    """SQL the ORM writes with "%%" for a percent sign (raw fragments, LIKE patterns
    against columns) reads the same compiled and prepared."""
    course = Lesson.objects.first().course
    query = compiled(course_id=BigIntegerField())(_labelled)

    expected = list(_labelled(course_id=course.pk))
    assert expected and all(label == "100%" for _, label in expected)
    assert query.rows(course_id=course.pk) == expected


def _labelled(*, course_id):
    return (
        Lesson.objects.filter(course_id=course_id)
        .annotate(label=RawSQL("'100%%'", ()))
        .order_by("pk")
        .values_list("pk", "label")
    )


def _locked(*, user_id):
    return get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk")


def _lessons_done(*, user_id):
    return (
        LessonCompletion.objects.filter(user_id=user_id)
        .order_by("lesson_id")
        .values_list("lesson_id", flat=True)
    )


@pytest.mark.parametrize("prepare", [True, False], ids=["prepared", "sent whole"])
def test_statements_run_together_answer_as_each_alone_in_one_round_trip(history, settings, prepare):
    settings.PREPARE_STATEMENTS = prepare
    reads = compiled(user_id=IntegerField(), since=DateTimeField())(completions_of)
    moved = compiled(user_id=IntegerField(), completed_at=DateTimeField())(
        lambda *, user_id, completed_at: Update(
            LessonCompletion.objects.filter(user_id=user_id), completed_at=completed_at
        )
    )
    first, second = history
    since = START + timedelta(days=2)
    expected = list(completions_of(user_id=first.pk, since=since))

    labels = compiled(course_id=BigIntegerField())(_labelled)
    course_id = Lesson.objects.first().course_id
    prepare_every_statement()

    with CaptureQueriesContext(connection) as captured:
        answers = run_together(
            reads.statement(user_id=first.pk, since=since).then(lambda r: reads.instances(r.rows)),
            moved.statement(user_id=second.pk, completed_at=START).then(lambda r: r.rowcount),
            # In order: this read sees the update before it.
            reads.statement(user_id=second.pk, since=since).then(lambda r: r.rows),
            labels.statement(course_id=course_id).then(lambda r: r.rows),
        )

    assert answers == [expected, 4, [], list(_labelled(course_id=course_id))]
    assert len(captured) == (1 if connection.vendor == "postgresql" else 4)


@pytest.mark.django_db(transaction=True)
def test_a_statement_that_fails_among_others_stores_nothing(history):
    """Inside a transaction, a failing statement undoes the whole batch (the completion's
    writes travel together); the connection serves the next request as usual."""
    insert = compiled(user_id=IntegerField(), lesson_id=BigIntegerField())(
        lambda *, user_id, lesson_id: Insert(
            LessonCompletion(user_id=user_id, lesson_id=lesson_id, completed_at=START)
        )
    )
    learner = UserFactory()
    first, second = Lesson.objects.order_by("position")[:2]

    with pytest.raises(IntegrityError), transaction.atomic():
        run_together(
            insert.statement(user_id=learner.pk, lesson_id=first.pk),
            insert.statement(user_id=learner.pk, lesson_id=second.pk),
            insert.statement(user_id=learner.pk, lesson_id=first.pk),  # the same row again
        )

    assert not LessonCompletion.objects.filter(user=learner).exists()
    assert insert.statement(user_id=learner.pk, lesson_id=second.pk).run().rowcount == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_reads_sent_with_a_lock_see_what_the_lock_s_holder_committed(history):
    """The completion sends its reads in the same round trip as the learner's lock: each
    must still read after the lock is granted, not from a snapshot taken before."""
    lock = compiled(user_id=IntegerField())(_locked)
    done = compiled(user_id=IntegerField())(_lessons_done)
    learner = UserFactory()
    lesson = Lesson.objects.first()
    holding = threading.Event()

    def holder() -> None:
        with transaction.atomic():
            lock.rows(user_id=learner.pk)
            holding.set()
            wait_until_a_lock_is_awaited()
            LessonCompletion.objects.create(user=learner, lesson=lesson)

    def reader() -> list[int]:
        assert holding.wait(timeout=10)
        with transaction.atomic():
            _, lesson_ids = run_together(
                lock.statement(user_id=learner.pk),
                done.statement(user_id=learner.pk).then(lambda result: result.rows),
            )
        return lesson_ids

    _, lesson_ids = in_parallel(holder, reader)

    assert lesson_ids == [(lesson.pk,)]


@pytest.mark.django_db(transaction=True)  # outside any transaction, as a request starts
def test_compiling_a_read_starts_no_transaction(history):
    """Only a lock is compiled inside an atomic block: on SQLite, entering one for a
    read would take the database's write lock (transaction_mode IMMEDIATE)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL prepares every statement at once, the locks in a transaction")
    query = compiled(user_id=IntegerField())(_lessons_done)

    with CaptureQueriesContext(connection) as captured:
        query.rows(user_id=history[0].pk)

    assert not [q for q in captured.captured_queries if q["sql"].startswith("BEGIN")]


@pytest.mark.parametrize(
    "more",
    [
        lambda completions: completions.select_related("lesson"),
        lambda completions: completions.prefetch_related("lesson"),
        lambda completions: completions.fetch_mode(FETCH_PEERS),
    ],
    ids=["select_related", "prefetch_related", "fetch_mode"],
)
def test_what_compiled_rows_cannot_become_is_refused_when_declared(more):
    """Compiled rows become instances of one model, as the default fetch mode makes them:
    a queryset asking for more fails where it is written, not on its first request."""
    with pytest.raises(ValueError, match="read one model"):
        compiled(user_id=IntegerField())(
            lambda *, user_id: more(LessonCompletion.objects.filter(user_id=user_id))
        )
