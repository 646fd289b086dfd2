"""Learner pages and the "Complete lesson" endpoint, with and without htmx."""

import re

import pytest
from django.urls import reverse

from achievements.models import Rule
from courses.models import Course, LessonCompletion, UserProgress
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def complete_url(lesson):
    return reverse("lesson_complete", args=[lesson.course.slug, lesson.slug])


def uncomplete_url(lesson):
    return reverse("lesson_uncomplete", args=[lesson.course.slug, lesson.slug])


def progressbar_values(html: str) -> list[int]:
    bars = re.findall(r'role="progressbar"[^>]*?aria-valuenow="(\d+)"', html, flags=re.S)
    return [int(value) for value in bars]


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard"),
        reverse("achievement_list"),
        "/courses/intro-to-testing/",
        "/courses/intro-to-testing/lesson-1/",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, course, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_post_signs_in_and_returns_to_the_lesson(client, lessons):
    back_to_lesson = f"{reverse('login')}?next={lessons[0].get_absolute_url()}"

    response = client.post(complete_url(lessons[0]))
    assert response.status_code == 302
    assert response["Location"] == back_to_lesson  # not the POST-only URL, which a GET refuses

    # htmx must reload the page, not swap the sign-in form into the lesson.
    response = client.post(uncomplete_url(lessons[0]), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == back_to_lesson
    assert not LessonCompletion.objects.exists()


def test_dashboard_splits_started_and_new_courses(learner_client, learner, course, lessons):
    finished = CourseFactory(title="Finished course", lessons=1)
    CourseFactory(title="Fresh course", lessons=3)
    CourseFactory(title="Hidden draft", is_published=False, lessons=2)
    lesson_complete(user=learner, lesson=lessons[0])
    lesson_complete(user=learner, lesson=finished.lessons.get())

    html = learner_client.get(reverse("dashboard")).content.decode()

    mine, explore = html.split('id="explore"')
    in_progress, completed = mine.split("Completed</h3>")
    assert "Intro to Testing" in in_progress and "1 of 4 lessons" in in_progress
    assert "Continue <span" in in_progress and lessons[1].get_absolute_url() in in_progress
    assert progressbar_values(in_progress) == [25]
    assert "Finished course" in completed and finished.get_absolute_url() in completed
    assert "Fresh course" in explore and "Start <span" in explore
    assert "Hidden draft" not in html


def test_every_course_card_shows_its_bar_at_zero_for_a_course_not_started(
    learner_client, learner, lessons
):
    """The card of a course not started has its bar too, empty and named, like the others."""
    CourseFactory(title="Fresh course", slug="fresh-course", lessons=3)
    lesson_complete(user=learner, lesson=lessons[0])

    html = learner_client.get(reverse("dashboard")).text

    mine, explore = html.split('id="explore"')
    assert progressbar_values(mine) == [25]
    assert progressbar_values(explore) == [0]
    fresh = explore.split('id="card-title-fresh-course"')[1].split("</article>")[0]
    assert "0 of 3 lessons" in fresh
    assert re.search(
        r'role="progressbar"\s+aria-label="Fresh course progress"[^>]*aria-valuemin="0" '
        r'aria-valuemax="100" aria-valuenow="0"',
        fresh,
    )
    assert 'class="progress__fill pct-0"' in fresh  # a width class: no inline style (CSP)
    assert "style=" not in fresh


def test_course_page_shows_bar_milestones_and_lessons(learner_client, learner, course, lessons):
    lesson_complete(user=learner, lesson=lessons[0])
    lesson_complete(user=learner, lesson=lessons[1])

    response = learner_client.get(course.get_absolute_url())

    html = response.content.decode()
    assert progressbar_values(html) == [50]
    assert 'aria-label="Intro to Testing progress"' in html
    assert "50% milestone, reached" in html
    assert "75% milestone, not reached" in html
    assert html.count('alt="Completed"') == 2
    assert f"Continue: {lessons[2].title}" in html


def test_lesson_page_shows_position_and_neighbours(learner_client, lessons):
    html = learner_client.get(lessons[1].get_absolute_url()).content.decode()

    assert "Lesson 2 of 4" in html
    assert ">Complete lesson</button>" in html
    assert f"Previous: {lessons[0].title}" in html
    assert f"Next: {lessons[2].title}" in html
    assert 'id="toasts" class="toasts" role="status"' in html


def test_plain_post_completes_and_redirects_back_with_toasts(learner_client, learner, lessons):
    AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)

    response = learner_client.post(complete_url(lessons[0]))

    assert response.status_code == 302
    assert response["Location"] == lessons[0].get_absolute_url()
    page = learner_client.get(response["Location"]).content.decode()
    assert "Completed" in page
    assert ">Complete lesson</button>" not in page
    assert "Milestone reached" in page and "25% of “Intro to Testing” done" in page
    assert "Achievement unlocked: First steps" in page
    assert progressbar_values(page) == [25]
    # Announced once: the next page view does not repeat the toasts.
    again = learner_client.get(lessons[0].get_absolute_url()).content.decode()
    assert "Achievement unlocked" not in again and "Milestone reached" not in again


def test_htmx_post_returns_fragments_with_out_of_band_updates(learner_client, learner, lessons):
    AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)

    response = learner_client.post(complete_url(lessons[0]), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="completion completion--done" id="completion"')
    assert f"Next lesson: {lessons[1].title}" in html
    assert 'id="progress-intro-to-testing" hx-swap-oob="true"' in html
    assert progressbar_values(html) == [25]
    # Only the completed lesson's row of the list is swapped, now marked completed.
    row = re.search(
        rf'<li [^>]*id="lesson-item-{lessons[0].id}" hx-swap-oob="true">.*?</li>', html, re.S
    )
    assert row and 'alt="Completed"' in row.group(0)
    assert "lesson-item-" not in html.replace(row.group(0), "")
    assert 'hx-swap-oob="beforeend:#toasts"' in html
    assert "Achievement unlocked: First steps" in html
    assert "Milestone reached" in html and "25% of “Intro to Testing” done" in html
    assert LessonCompletion.objects.filter(user=learner, lesson=lessons[0]).exists()
    # The toast was delivered with this response, so the next page does not repeat it.
    assert "Achievement unlocked" not in learner_client.get(reverse("dashboard")).content.decode()


def test_finishing_a_course_is_celebrated(learner_client, learner, lessons):
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)

    html = learner_client.post(complete_url(lessons[3]), **HTMX).content.decode()

    assert "Course complete" in html and "You finished “Intro to Testing”" in html
    assert "You finished the course" in html
    assert progressbar_values(html) == [100]


def test_next_lesson_skips_lessons_already_done(learner_client, learner, lessons):
    lesson_complete(user=learner, lesson=lessons[1])

    html = learner_client.post(complete_url(lessons[0]), **HTMX).content.decode()

    assert f"Next lesson: {lessons[2].title}" in html


def test_second_click_is_harmless(learner_client, learner, lessons):
    learner_client.post(complete_url(lessons[0]), **HTMX)
    response = learner_client.post(complete_url(lessons[0]), **HTMX)

    assert response.status_code == 200
    assert "Milestone reached" not in response.content.decode()
    assert LessonCompletion.objects.filter(user=learner).count() == 1


def test_undo_with_htmx_and_without(learner_client, learner, lessons):
    lesson_complete(user=learner, lesson=lessons[0])
    lesson_complete(user=learner, lesson=lessons[1])

    html = learner_client.post(uncomplete_url(lessons[1]), **HTMX).content.decode()
    assert ">Complete lesson</button>" in html
    assert progressbar_values(html) == [25]

    response = learner_client.post(uncomplete_url(lessons[0]))
    assert response.status_code == 302
    page = learner_client.get(response["Location"]).content.decode()
    assert "marked as not complete" in page
    assert progressbar_values(page) == [0]
    assert not LessonCompletion.objects.filter(user=learner).exists()


@pytest.mark.parametrize("name", ["lesson_complete", "lesson_uncomplete"])
def test_wrong_method_is_refused(learner_client, lessons, name):
    url = reverse(name, args=[lessons[0].course.slug, lessons[0].slug])
    assert learner_client.get(url).status_code == 405
    assert learner_client.put(url).status_code == 405
    assert not LessonCompletion.objects.exists()


def test_missing_csrf_token_is_refused(client, learner, lessons):
    client.handler.enforce_csrf_checks = True
    client.force_login(learner)

    response = client.post(complete_url(lessons[0]), **HTMX)

    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


def test_unknown_and_unpublished_pages_are_styled_404s(learner_client, course, lessons):
    draft = CourseFactory(slug="draft", is_published=False, lessons=1)
    for url in [
        "/courses/no-such-course/",
        "/courses/intro-to-testing/no-such-lesson/",
        draft.get_absolute_url(),
        draft.lessons.get().get_absolute_url(),
    ]:
        response = learner_client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()


def test_lesson_of_another_course_is_not_reachable_through_this_course(learner_client, course):
    other = CourseFactory(slug="other", lessons=1).lessons.get()
    url = reverse("lesson_complete", args=[course.slug, other.slug])

    assert learner_client.post(url).status_code == 404
    assert learner_client.post(url, **HTMX).status_code == 404
    assert not LessonCompletion.objects.exists()
    assert not UserProgress.objects.exists()


def test_unpublished_course_cannot_be_completed_through_the_view(learner_client):
    draft = CourseFactory(is_published=False, lessons=1).lessons.get()

    assert learner_client.post(complete_url(draft)).status_code == 404
    assert not LessonCompletion.objects.exists()


def test_learners_never_see_each_others_progress(client, learner, lessons):
    lesson_complete(user=learner, lesson=lessons[0])
    client.force_login(UserFactory(username="grace"))

    html = client.get(lessons[0].course.get_absolute_url()).content.decode()

    assert progressbar_values(html) == [0]
    assert 'alt="Completed"' not in html


def test_a_repeated_completion_keeps_the_learners_place(learner_client, course, lessons):
    """A stale tab or a double submit completing lesson 1 again must not send "Continue"
    back: the learner went on from lesson 3 to lesson 4."""
    for lesson in (lessons[0], lessons[2], lessons[0]):
        learner_client.post(complete_url(lesson), **HTMX)

    course_page = learner_client.get(course.get_absolute_url()).text
    assert f"Continue: {lessons[3].title}" in course_page
    dashboard = learner_client.get(reverse("dashboard")).text
    assert f'href="{lessons[3].get_absolute_url()}">Continue' in dashboard
    assert UserProgress.objects.get().current_lesson == lessons[3]


def test_the_dashboard_shows_a_few_courses_to_explore_and_links_the_catalogue(
    learner_client, learner
):
    """With 200 published courses the dashboard stays the size of what the learner does:
    six to explore, and a link to all of them."""
    courses = [CourseFactory(lessons=2) for _ in range(30)]
    lesson_complete(user=learner, lesson=courses[0].lessons.first())

    html = learner_client.get(reverse("dashboard")).text

    explore = html.split('id="explore"')[1]
    assert explore.count('<article class="card') == 6
    assert "See all courses (29 not started)" in explore
    assert reverse("catalogue") in explore
    assert len(html.encode()) < 50_000


def test_the_catalogue_searches_titles_and_pages_through_every_course(learner_client, learner):
    for n in range(30):
        CourseFactory(title=f"Course about {'cats' if n % 3 == 0 else 'dogs'} {n:02d}", lessons=2)
    CourseFactory(title="Cats draft", is_published=False)
    started = Course.objects.get(title="Course about cats 00")
    lesson_complete(user=learner, lesson=started.lessons.select_related("course").first())
    url = reverse("catalogue")

    first = learner_client.get(url).text
    second = learner_client.get(url, {"page": 2}).text
    cats = learner_client.get(url, {"q": "CATS"}).text
    fragment = learner_client.get(url, {"q": "cats"}, HTTP_HX_REQUEST="true")

    assert "30 courses, page 1 of 2." in first and first.count('<article class="card') == 24
    assert "page 2 of 2" in second and second.count('<article class="card') == 6
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert "10 courses matching “CATS”" in cats and "dogs" not in cats and "draft" not in cats
    assert progressbar_values(cats).count(50) == 1  # the one started, half done
    assert "<html" not in fragment.text and 'id="catalogue-results"' in fragment.text
    assert learner_client.get(url, {"page": "x"}).status_code == 200  # a bad page: the first


@pytest.mark.parametrize("courses", [3, 60])
def test_dashboard_and_catalogue_cost_the_same_whatever_the_catalogue(
    learner_client, learner, courses, django_assert_max_num_queries
):
    for _ in range(courses):
        CourseFactory(lessons=3)
    with django_assert_max_num_queries(9):
        assert learner_client.get(reverse("dashboard")).status_code == 200
    with django_assert_max_num_queries(9):
        assert learner_client.get(reverse("catalogue")).status_code == 200
