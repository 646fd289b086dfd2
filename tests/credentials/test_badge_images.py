"""Every icon an admin can pick has its badge PNG (rendered by tests/e2e/test_badge_images.py)."""

from pathlib import Path

import pytest
from PIL import Image

from achievements.icons import Icon

BADGES = Path(__file__).resolve().parents[2] / "static" / "badges"


@pytest.mark.parametrize("icon", Icon.values)
def test_each_icon_has_a_square_png_badge(icon):
    with Image.open(BADGES / f"{icon}.png") as image:
        assert image.format == "PNG"
        assert image.size == (400, 400)
        assert image.getpixel((0, 0))[3] == 0  # transparent corners: a round badge
