"""The admin's "Workers and queues" page: per queue, its waiting tasks and live workers (glue.workers)."""

from __future__ import annotations

import logging

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db import DatabaseError
from django.template.response import TemplateResponse
from redis.exceptions import RedisError

from glue import workers

logger = logging.getLogger(__name__)

#: what the broker raises when it cannot be reached (Redis down, the database gone)
BROKER_ERRORS = (RedisError, DatabaseError, OSError)


def queue_report() -> dict:
    """The page's and the index banner's data: queues, unknown clusters, and a broker error if any."""
    try:
        states, others = workers.queue_states()
    except BROKER_ERRORS:
        logger.exception("the task broker does not answer")
        return {"queues": [], "other_clusters": [], "stalled": [], "broker_error": True}
    return {
        "queues": states,
        "other_clusters": others,
        "stalled": [state for state in states if state.stalled],
        "broker_error": False,
    }


@staff_member_required
def workers_and_queues(request):
    """Staff only (the admin's sign-in); reads, never changes anything."""
    context = {
        **admin.site.each_context(request),
        "title": "Workers and queues",
        **queue_report(),
    }
    return TemplateResponse(request, "admin/workers_and_queues.html", context)
