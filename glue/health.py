"""``/healthz`` for the load balancer, and ``/healthz/workers`` for monitoring (django-health-check 4).

``/healthz``: the database, the cache, the stored files (a file written, read back and deleted) and
the task broker of every queue must answer, or it is a 503 and the balancer takes this web machine
out. A queue with work waiting and no live worker is reported there as a warning with a 200: the
web still takes orders and uploads, and taking every web machine out for a worker outage would stop
the shop. ``/healthz/workers`` answers 503 for it, for the alerting that pages someone.

Plain text by default (``check: OK`` lines); JSON for ``Accept: application/json`` or ``?format=json``.
No sign-in: it says no more than which part is down.
"""

from __future__ import annotations

import dataclasses

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django_q.brokers import get_broker
from health_check import Cache, Database, HealthCheck, Storage
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView
from redis.exceptions import RedisError

from glue import workers


@dataclasses.dataclass
class TaskBroker(HealthCheck):
    """Every queue's broker answers: Redis to a ping, the ORM broker's table to a count."""

    async def run(self) -> None:
        # on the request's own thread and database connection (django-q2's ORM broker is the database)
        await sync_to_async(self._probe, thread_sensitive=True)()

    def _probe(self) -> None:
        for name in workers.queue_names():
            try:
                broker = get_broker(name)
                broker.ping()
                broker.queue_size()
            except (RedisError, DatabaseError, OSError) as exc:
                raise ServiceUnavailable(f"the task broker of queue {name} does not answer") from exc


@dataclasses.dataclass
class Workers(HealthCheck):
    """No queue has work waiting without a live worker (a warning: see the module's docstring)."""

    async def run(self) -> None:
        await sync_to_async(self._probe, thread_sensitive=True)()

    def _probe(self) -> None:
        try:
            states, _ = workers.queue_states()
        except (RedisError, DatabaseError, OSError) as exc:
            raise ServiceUnavailable("the task broker does not answer") from exc
        stalled = [f"queue {q.name}: {q.waiting} waiting, no live worker" for q in states if q.stalled]
        if stalled:
            raise ServiceWarning("; ".join(stalled))


class StudioHealthView(HealthCheckView):
    """django-health-check's view: 503 when a check fails, 200 when only warnings (``strict``: 503 too)."""

    checks = (Database, Cache, Storage, TaskBroker, Workers)
    strict = False

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in self.results if result.error]
        if errors and response.status_code == 500:
            warnings_only = all(isinstance(error, ServiceWarning) for error in errors)
            response.status_code = 200 if warnings_only and not self.strict else 503
            response.reason_phrase = None
        return response

    def render_to_response(self, context, **response_kwargs):
        """Browsers and balancers without an Accept header get the plain-text lines, not a page."""
        return self.render_to_response_text(response_kwargs.get("status", 200))


healthz = StudioHealthView.as_view()
healthz_workers = StudioHealthView.as_view(checks=(Workers,), strict=True)
