from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<slug:course_slug>/", views.course, name="course"),
    path("<slug:course_slug>/learners.csv", views.learners_csv, name="learners_csv"),
    path("<slug:course_slug>/summary.csv", views.summary_csv, name="summary_csv"),
]
