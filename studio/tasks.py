"""One door to the django-q2 queue, so every task is enqueued the same way (and after commit).

``run_inline()`` switches the door, for the block it wraps, to django-q2's sync mode: each task runs
at once in this process, through django-q2's own worker code (the result is saved like a worker's),
when the transaction that enqueued it commits. ``manage.py demo`` runs the whole story that way, so
it needs no cluster; everything else goes through the broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass
class InlineRun:
    """What ``run_inline`` runs with: extra keyword arguments per task, and a log of what ran."""

    task_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


_inline: ContextVar[InlineRun | None] = ContextVar("studio_tasks_inline", default=None)


@contextmanager
def run_inline(
    *, task_kwargs: dict[str, dict[str, Any]] | None = None, log: list[str] | None = None
) -> Iterator[InlineRun]:
    """Run every task enqueued inside the block at once, in django-q2's sync mode.

    ``task_kwargs`` adds keyword arguments to the named tasks (dotted path -> kwargs), e.g. a small
    triangle budget for the demo; ``log`` receives one line per task run (name, args, result, time).
    """
    run = InlineRun(task_kwargs=dict(task_kwargs or {}), log=log if log is not None else [])
    token = _inline.set(run)
    try:
        yield run
    finally:
        _inline.reset(token)


def cluster_for(queue: str | None) -> str:
    """The django-q2 cluster that serves `queue` (None: the default queue).

    ``settings.RECONSTRUCTION_QUEUE`` (the GPU queue) is a cluster of its own only where
    ``settings.GPU_CLUSTER`` names one (production: ``Q_GPU_CLUSTER=studio-gpu``); by default the
    default cluster serves it, so one ``manage.py qcluster`` runs every task.
    """
    from django.conf import settings

    if queue == settings.RECONSTRUCTION_QUEUE:
        return settings.GPU_CLUSTER or settings.Q_CLUSTER["name"]
    return queue or settings.Q_CLUSTER["name"]


def cluster_settings(queue: str | None) -> dict[str, Any]:
    """The Q_CLUSTER settings (timeout, retry...) of the cluster that serves `queue`."""
    from django.conf import settings

    return settings.Q_CLUSTER["ALT_CLUSTERS"].get(cluster_for(queue), settings.Q_CLUSTER)


def task_timeout_s(queue: str | None) -> int:
    """The time limit of a task enqueued on `queue`: a GPU-queue task carries the reconstruction limit
    whichever cluster runs it; any other task has its cluster's timeout."""
    from django.conf import settings

    if queue == settings.RECONSTRUCTION_QUEUE:
        return int(settings.RECONSTRUCTION_TIMEOUT_S)
    return int(cluster_settings(queue)["timeout"])


def enqueue(func: str, *args: Any, cluster: str | None = None, **kwargs: Any) -> str:
    """Put a task on the queue now. `func` is a dotted path; `cluster` picks a queue (e.g. GPU).

    Without `cluster` the task goes to the default queue by name: django-q2 would otherwise use the
    queue of the process that enqueues, so a follow-up enqueued by a GPU worker would stay on the GPU queue.
    A task on the GPU queue carries the reconstruction time limit, whichever cluster runs it.
    """
    from django.conf import settings
    from django_q.tasks import async_task, fetch

    options: dict[str, Any] = {"cluster": cluster_for(cluster)}
    if cluster == settings.RECONSTRUCTION_QUEUE:
        options["timeout"] = task_timeout_s(cluster)
    inline = _inline.get()
    if inline is None:
        task_id = async_task(func, *args, **options, **kwargs)
        logger.info("enqueued %s%r on %s as %s", func, args, options["cluster"], task_id)
        return task_id
    started = time.perf_counter()
    task_id = async_task(func, *args, **options, **inline.task_kwargs.get(func, {}), **kwargs, sync=True)
    done = fetch(task_id)
    outcome = (done.result if done.success else f"failed: {done.result}") if done else "not recorded"
    inline.log.append(f"{func.rsplit('.', 1)[-1]}{args} -> {outcome} ({time.perf_counter() - started:.1f} s)")
    return task_id


def enqueue_on_commit(func: str, *args: Any, cluster: str | None = None, **kwargs: Any) -> None:
    """Enqueue once the surrounding transaction commits; nothing is enqueued on rollback."""
    transaction.on_commit(lambda: enqueue(func, *args, cluster=cluster, **kwargs), robust=True)
