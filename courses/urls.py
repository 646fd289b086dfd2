from django.urls import path

from courses import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/", views.catalogue, name="catalogue"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course_detail"),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/",
        views.lesson_detail,
        name="lesson_detail",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/uncomplete/",
        views.lesson_uncomplete,
        name="lesson_uncomplete",
    ),
]
