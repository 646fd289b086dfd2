"""The icon set shipped in static/icons/: one SVG file per choice."""

from django.db import models


class Icon(models.TextChoices):
    TROPHY = "trophy", "Trophy"
    STAR = "star", "Star"
    FLAME = "flame", "Flame"
    ROCKET = "rocket", "Rocket"
    MEDAL = "medal", "Medal"
    BOOK = "book", "Book"
