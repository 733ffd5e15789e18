"""One door to the django-q2 queue, so every task is enqueued the same way (and after commit)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(func: str, *args: Any, cluster: str | None = None, **kwargs: Any) -> str:
    """Put a task on the queue now. `func` is a dotted path; `cluster` picks a queue (e.g. GPU).

    Without `cluster` the task goes to the default queue by name: django-q2 would otherwise use the
    queue of the process that enqueues, so a follow-up enqueued by a GPU worker would stay on the GPU queue.
    """
    from django.conf import settings
    from django_q.tasks import async_task

    options: dict[str, Any] = {"cluster": cluster or settings.Q_CLUSTER["name"]}
    task_id = async_task(func, *args, **options, **kwargs)
    logger.info("enqueued %s%r on %s as %s", func, args, cluster or "default", task_id)
    return task_id


def enqueue_on_commit(func: str, *args: Any, cluster: str | None = None, **kwargs: Any) -> None:
    """Enqueue once the surrounding transaction commits; nothing is enqueued on rollback."""
    transaction.on_commit(lambda: enqueue(func, *args, cluster=cluster, **kwargs), robust=True)
