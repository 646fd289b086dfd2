"""Pure progress arithmetic, shared by the selectors (reads) and services (writes).

Kept free of queries so every boundary can be tested directly.
"""

from collections.abc import Iterable, Sequence
from typing import Protocol

MILESTONES: tuple[int, ...] = (25, 50, 75, 100)


class HasId(Protocol):
    id: int


def percent_complete(*, completed: int, total: int) -> int:
    """Whole percent of a course done, honest at both ends.

    Rounding would show 100 % with one lesson of 200 left, and 0 % after the first of
    200: 0 means nothing done and 100 means everything done, nothing in between does.
    """
    if total <= 0 or completed <= 0:
        return 0
    if completed >= total:
        return 100
    return min(max(completed * 100 // total, 1), 99)


def is_course_complete(*, completed: int, total: int) -> bool:
    """A course without lessons has nothing to complete, so it is never complete."""
    return total > 0 and completed >= total


def milestones_reached(percentage: int) -> tuple[int, ...]:
    return tuple(m for m in MILESTONES if percentage >= m)


def milestones_crossed(*, before: int, after: int) -> tuple[int, ...]:
    """Milestones passed going from one percentage to a higher one."""
    return tuple(m for m in MILESTONES if before < m <= after)


def next_incomplete[T: HasId](
    lessons: Sequence[T], completed_ids: Iterable[int], *, after: T | None = None
) -> T | None:
    """The first lesson not completed after `after` in course order, wrapping around.

    Learners who skip ahead keep going forward; an earlier gap is picked up only once
    the rest is done. None when every lesson is completed.
    """
    done = set(completed_ids)
    start = 0
    if after is not None:
        start = next((i + 1 for i, lesson in enumerate(lessons) if lesson.id == after.id), 0)
    for lesson in [*lessons[start:], *lessons[:start]]:
        if lesson.id not in done:
            return lesson
    return None
