from django.urls import path

from achievements import views

urlpatterns = [
    path("", views.achievement_list, name="achievement_list"),
]
