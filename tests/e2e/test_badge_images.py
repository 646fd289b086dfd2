"""Renders the badge PNGs (static/badges/) from the SVG icons; runs only with BADGE_IMAGES=1.

BADGE_IMAGES=1 .venv/bin/pytest tests/e2e/test_badge_images.py

Open Badges images must be PNG for most backpacks (SVG is allowed but rarely shown), and
rendering SVG needs a rasteriser: Chromium already runs the browser tests, so it draws
them once here and the PNGs are committed (tests/credentials/test_badge_images.py checks
that every icon has one).
"""

import base64
import os
from pathlib import Path

import pytest

from achievements.icons import Icon

ROOT = Path(__file__).resolve().parents[2]
SIZE = 400

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("BADGE_IMAGES") != "1", reason="regenerates static/badges: BADGE_IMAGES=1"
    ),
]

# A ring and a pale disc around the icon: the badge reads as one at any size.
BADGE_HTML = """<!doctype html><html><body style="margin:0;background:transparent">
<div id="badge" style="width:{size}px;height:{size}px;box-sizing:border-box;border-radius:50%;
 border:18px solid #4338ca;background:radial-gradient(circle,#ffffff 0,#e0e7ff 100%);
 display:grid;place-items:center;box-shadow:inset 0 0 0 6px #fbbf24">
<img src="data:image/svg+xml;base64,{svg}" width="{icon}" height="{icon}" alt=""></div>
</body></html>"""


@pytest.mark.parametrize("icon", Icon.values)
def test_render_badge_image(page, icon):
    svg = base64.b64encode((ROOT / "static" / "icons" / f"{icon}.svg").read_bytes()).decode()
    page.set_viewport_size({"width": SIZE, "height": SIZE})
    page.set_content(BADGE_HTML.format(size=SIZE, svg=svg, icon=SIZE * 55 // 100))
    page.locator("#badge").screenshot(
        path=ROOT / "static" / "badges" / f"{icon}.png", omit_background=True
    )
