"""The page cache's errors, logged without flooding the log (settings.LOGGING).

Kept apart from `page_cache` so that configuring logging imports no model.
"""

import logging
import math
import time


class CacheErrorLogFilter(logging.Filter):
    """While the cache is down every request would log a traceback (django-redis logs
    each error it ignores): let one line through per `seconds`, with the traceback only
    for the first of an outage (the first after a quiet `seconds`), and count the rest."""

    def __init__(self, seconds: float = 60) -> None:
        super().__init__()
        self.seconds = seconds
        self.last_seen = self.last_logged = -math.inf
        self.held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        new_outage = now - self.last_seen >= self.seconds
        self.last_seen = now
        if not new_outage and now - self.last_logged < self.seconds:
            self.held_back += 1
            return False
        if not new_outage:
            record.exc_info = record.exc_text = None
            record.msg = f"{record.msg} (and {self.held_back} more like it since the last)"
        self.last_logged, self.held_back = now, 0
        return True
