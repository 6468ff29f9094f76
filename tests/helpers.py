"""Helpers shared by tests (not fixtures)."""

import threading

from django.db import close_old_connections, connection


def run_parallel(workers: int, work) -> list:
    """Run work(i) in `workers` threads, each with its own database connection,
    released together by a barrier. Returns each worker's result or exception."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return results


def transitions_of(model: str, pk: object, **filters: object):
    """The audit log of one object, by its model's name and primary key."""
    from audit.models import TransitionLog

    return TransitionLog.objects.filter(
        object_type__model=model, object_id=str(pk), **filters
    ).order_by("pk")
