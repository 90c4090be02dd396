"""Hits from several connections at once: the limit is never exceeded (the upsert is atomic)."""

import threading

import pytest
from django.db import connection, connections

from wagewatch.notify.ratelimit import rate_limit_count, rate_limit_hit

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4
HITS_PER_THREAD = 15
LIMIT = 20


def test_concurrent_hits_allow_exactly_the_limit():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file or PostgreSQL")
    allowed = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker():
        try:
            start.wait(timeout=10)
            mine = sum(rate_limit_hit("concurrent", limit=LIMIT, window_seconds=3600) for _ in range(HITS_PER_THREAD))
            with lock:
                allowed.append(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(allowed) == THREADS
    assert sum(allowed) == LIMIT
    assert rate_limit_count("concurrent", window_seconds=3600) == THREADS * HITS_PER_THREAD
