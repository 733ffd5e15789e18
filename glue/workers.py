"""Which django-q2 queues have a live worker, and how many tasks wait on each.

Every cluster (``manage.py qcluster``) saves a heartbeat, django-q2's own ``Stat``, every half second
with a 3-second lifetime: in Redis with the Redis broker, in the ``django_q`` cache (files under
var/, shared by every process of one machine) with the ORM broker. A ``Stat`` does not say which
queue its cluster serves, so each worker process, when django-q2 spawns it (``post_spawn``), records
its queue under its cluster's host and sentinel pid in the same store; a live ``Stat`` and that record
together say "queue X has a live cluster". The waiting count is the broker's own ``queue_size()``.

Read by the admin's "Workers and queues" page, its index banner and ``/healthz``.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.status import Stat

logger = logging.getLogger(__name__)

#: the states of a Stat whose cluster takes tasks (a stopping or stopped one does not)
LIVE_STATES = {Conf.STARTING, Conf.WORKING, Conf.IDLE}


def _queue_key(host: str, sentinel_pid: int) -> str:
    return f"studio:qcluster-queue:{host}:{sentinel_pid}"


def _store():
    """Where the queue records live: the cache django-q2 keeps its cluster stats in (ORM broker), or
    the default cache (Redis, with the Redis broker): shared by web and workers either way."""
    return caches[settings.Q_CLUSTER.get("cache", "default")]


def record_cluster_queue(sender=None, proc_name: str = "", **kwargs) -> None:
    """``django_q.signals.post_spawn`` receiver, run in each new worker process: its parent is the
    cluster's sentinel, whose pid the cluster's ``Stat`` carries; the queue is the process's cluster name."""
    try:
        _store().set(_queue_key(socket.gethostname(), os.getppid()), Conf.CLUSTER_NAME, None)
    except Exception:  # a heartbeat note must never stop a worker from starting
        logger.exception("could not record the queue of worker %s", proc_name)


def queue_names() -> list[str]:
    """Every queue the settings run: the default cluster's, then the alternative clusters (the GPU one)."""
    return [settings.Q_CLUSTER["name"], *settings.Q_CLUSTER.get("ALT_CLUSTERS", {})]


def start_command(queue: str) -> str:
    """The command that starts a cluster for `queue`."""
    if queue == settings.Q_CLUSTER["name"]:
        return "python manage.py qcluster"
    return f"Q_CLUSTER_NAME={queue} python manage.py qcluster"


@dataclass(frozen=True)
class LiveCluster:
    """One running cluster, from its heartbeat."""

    host: str
    pid: int
    workers: int
    status: str


@dataclass(frozen=True)
class QueueState:
    """One queue: its waiting tasks and the live clusters that serve it."""

    name: str
    waiting: int
    clusters: list[LiveCluster] = field(default_factory=list)

    @property
    def workers(self) -> int:
        return sum(cluster.workers for cluster in self.clusters)

    @property
    def stalled(self) -> bool:
        """Work waits and no cluster takes it."""
        return self.waiting > 0 and not self.clusters

    @property
    def command(self) -> str:
        return start_command(self.name)


def live_clusters() -> dict[str | None, list[LiveCluster]]:
    """The live clusters by the queue they serve (None: a cluster whose queue was not recorded)."""
    store = _store()
    by_queue: dict[str | None, list[LiveCluster]] = {}
    for stat in Stat.get_all(get_broker(settings.Q_CLUSTER["name"])):
        if stat.status not in LIVE_STATES:
            continue
        queue = store.get(_queue_key(stat.host, stat.sentinel))
        by_queue.setdefault(queue, []).append(
            LiveCluster(host=stat.host, pid=stat.pid, workers=len(stat.workers), status=stat.status)
        )
    return by_queue


def queue_states() -> tuple[list[QueueState], list[LiveCluster]]:
    """Each configured queue's state, and the live clusters serving no configured queue (or an unknown one)."""
    clusters = live_clusters()
    states = [
        QueueState(name=name, waiting=get_broker(name).queue_size(), clusters=clusters.pop(name, []))
        for name in queue_names()
    ]
    others = [cluster for group in clusters.values() for cluster in group]
    return states, others
