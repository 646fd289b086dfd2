"""Hand-built histories for the insights tests, and reading the numbers off a page."""

from datetime import datetime
from html.parser import HTMLParser

from courses.models import Course, LessonCompletion, UserProgress
from tests.factories import UserFactory, progress_rows_in_line


def history(
    course: Course, username: str, *, started: datetime, done: dict[int, datetime], **user
) -> None:
    """A learner who started the course at `started` and completed its lessons at these
    places (1 = first lesson) at these times; their progress row as the services keep it
    (courses.services.progress_recompute, what the factories use)."""
    learner = UserFactory(username=username, **user)
    lessons = list(course.lessons.order_by("position"))
    LessonCompletion.objects.bulk_create(
        [
            LessonCompletion(user=learner, lesson=lessons[i - 1], completed_at=t)
            for i, t in done.items()
        ]
    )
    progress_rows_in_line(pairs=[(learner.pk, course.pk)])
    UserProgress.objects.filter(user=learner, course=course).update(started_at=started)
    return learner


class _Tables(HTMLParser):
    """Every table's rows as lists of cell texts, by the table's caption."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = None
        self._in_caption = False
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption = ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption.strip()] = []
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption.strip()].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def tables(html: str | bytes) -> dict[str, list[list[str]]]:
    """{caption: [header row, body rows…]} for every table of the page."""
    parser = _Tables()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.tables


def body(table: list[list[str]]) -> list[list[str]]:
    return table[1:]
