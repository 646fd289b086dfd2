"""Real parallel transactions for the PostgreSQL concurrency tests."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def in_parallel(*calls: Callable[[], object]) -> list[object]:
    """Run each call on its own thread and connection, all released at once.

    Returns the calls' results in order; fails the test if any call raised (a parallel
    click must never become a 500).
    """
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported by the test's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def a_lock_is_awaited() -> bool:
    """Whether any transaction of this database waits for a lock another one holds."""
    with connection.cursor() as cursor:
        # A row lock is awaited as its holder's transaction id, a lock of no database:
        # the waiting session says which database it is in.
        cursor.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        return bool(cursor.fetchall())


def wait_until_a_lock_is_awaited() -> None:
    """Return once another transaction waits for a lock this thread's holds, or fail."""
    for _ in range(300):
        with connection.cursor() as cursor:
            # pg_locks is read live (pg_stat_activity would be a snapshot per transaction).
            cursor.execute(
                "SELECT 1 FROM pg_locks WHERE NOT granted"
                " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchall():
                return
        time.sleep(0.05)
    raise AssertionError("nothing ever waited for this thread's lock")
