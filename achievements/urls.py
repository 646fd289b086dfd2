from django.urls import path

from achievements import views

urlpatterns = [
    path("", views.achievement_list, name="achievement_list"),
    path("profile/", views.learner_profile, name="learner_profile"),
]
