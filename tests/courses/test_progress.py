"""The arithmetic behind every progress bar, at each boundary a real course has."""

from types import SimpleNamespace

import pytest

from courses.progress import (
    is_course_complete,
    milestones_crossed,
    milestones_reached,
    next_incomplete,
    percent_complete,
)


@pytest.mark.parametrize(
    ("completed", "total", "expected"),
    [
        (0, 0, 0),  # a course without lessons
        (0, 1, 0),
        (1, 1, 100),  # single-lesson course
        (1, 3, 33),
        (2, 3, 66),  # floors: 66.7 is not yet 67
        (3, 3, 100),
        (1, 4, 25),
        (1, 200, 1),  # one lesson done is never shown as 0 %
        (199, 200, 99),  # one lesson left is never shown as 100 %
        (5, 4, 100),  # stale data never shows more than 100 %
        (-1, 4, 0),
    ],
)
def test_percent_complete(completed, total, expected):
    assert percent_complete(completed=completed, total=total) == expected


def test_percent_only_hits_the_ends_when_true():
    for total in range(1, 301):
        for completed in range(total + 1):
            pct = percent_complete(completed=completed, total=total)
            assert (pct == 0) == (completed == 0)
            assert (pct == 100) == (completed == total)


@pytest.mark.parametrize(
    ("completed", "total", "expected"),
    [(0, 0, False), (0, 1, False), (1, 1, True), (3, 4, False), (4, 4, True)],
)
def test_empty_course_is_never_complete(completed, total, expected):
    assert is_course_complete(completed=completed, total=total) is expected


def test_milestones_reached_and_crossed():
    assert milestones_reached(0) == ()
    assert milestones_reached(24) == ()
    assert milestones_reached(25) == (25,)
    assert milestones_reached(99) == (25, 50, 75)
    assert milestones_reached(100) == (25, 50, 75, 100)
    assert milestones_crossed(before=0, after=100) == (25, 50, 75, 100)
    assert milestones_crossed(before=25, after=50) == (50,)
    assert milestones_crossed(before=50, after=50) == ()
    assert milestones_crossed(before=75, after=50) == ()  # going down crosses nothing


def _lessons(n):
    return [SimpleNamespace(id=i) for i in range(1, n + 1)]


def test_next_incomplete_goes_forward_then_wraps_to_gaps():
    lessons = _lessons(5)
    assert next_incomplete(lessons, set()).id == 1
    assert next_incomplete(lessons, {1}, after=lessons[0]).id == 2
    # Skipped ahead to 4: keep going forward to 5 before going back to the gap.
    assert next_incomplete(lessons, {1, 4}, after=lessons[3]).id == 5
    assert next_incomplete(lessons, {1, 4, 5}, after=lessons[4]).id == 2
    assert next_incomplete(lessons, {1, 2, 3, 4, 5}, after=lessons[2]) is None
    assert next_incomplete([], set()) is None
