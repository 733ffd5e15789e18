"""Guarded state machines shared by every aggregate (orders, items, revisions, print jobs, trays).

Each stateful model lists its allowed moves in a `TRANSITIONS` table next to its status choices
(django-oscar style) and changes state only through `set_status()`, which refuses illegal moves.
`save()` refuses a status that changed any other way, so no code path writes a state by accident.

The transition services in each app's `services.py` wrap `run_transition()`, which locks the row,
checks the table and an optional guard, saves, writes the timeline event in the same transaction
and schedules follow-up tasks for after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from django.db import models, transaction

from studio.errors import StatusWriteError, TransitionNotAllowed
from studio.tasks import enqueue_on_commit


class StatusModel(models.Model):
    """A model whose `status` moves only along its `TRANSITIONS` table."""

    TRANSITIONS: ClassVar[Mapping[str, Iterable[str]]] = {}
    SUBJECT: ClassVar[str] = "object"

    class Meta:
        abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_status = self.__dict__.get("status")
        self._status_set_by_transition = False

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    @classmethod
    def allowed_targets(cls, current: str) -> frozenset[str]:
        return frozenset(cls.TRANSITIONS.get(current, ()))

    def can_transition(self, target: str) -> bool:
        return target in self.allowed_targets(self.status)

    def set_status(self, target: str) -> str:
        """Move to `target` or raise TransitionNotAllowed; returns the previous status."""
        if not self.can_transition(target):
            raise TransitionNotAllowed(subject=self.SUBJECT, current=self.status, target=target)
        previous = self.status
        self.status = target
        self._status_set_by_transition = True
        return previous

    def save(self, *args: Any, **kwargs: Any) -> None:  # noqa: DJ012
        if (
            not self._state.adding
            and self.status != self._loaded_status
            and not self._status_set_by_transition
        ):
            raise StatusWriteError(
                f"{type(self).__name__}.status changed from {self._loaded_status!r} to {self.status!r} "
                "outside a transition service."
            )
        super().save(*args, **kwargs)
        self._loaded_status = self.status
        self._status_set_by_transition = False


M = TypeVar("M", bound=StatusModel)


@dataclass(frozen=True)
class FollowUp:
    """A task to enqueue after the transition commits: dotted path, optional queue (cluster)."""

    func: str
    cluster: str | None = None


@dataclass
class TransitionResult:
    obj: Any
    previous: str
    current: str
    follow_ups: list[FollowUp] = field(default_factory=list)


def run_transition(
    *,
    lock: Callable[[], M],
    target: str,
    write_event: Callable[..., Any],
    user: Any = None,
    actor: str = "system",
    parameters: Mapping[str, Any] | None = None,
    guard: Callable[[M], None] | None = None,
    follow_ups: Mapping[str, Iterable[FollowUp]] | None = None,
    task_args: Callable[[M], tuple] | None = None,
    update: Mapping[str, Any] | None = None,
) -> TransitionResult:
    """Lock, check the table and guard, save (with `update`'s fields), write the event, and
    schedule follow-ups after commit. `write_event(obj=, previous=, current=, user=, actor=,
    parameters=)` records the change on the timeline (the apps pass `orders.events.status_changed_event`).

    Everything happens in one transaction: an exception anywhere leaves no state change, no event
    and no task behind.
    """
    with transaction.atomic():
        obj = lock()
        previous = obj.status
        if not obj.can_transition(target):
            raise TransitionNotAllowed(subject=obj.SUBJECT, current=previous, target=target)
        if guard is not None:
            guard(obj)
        obj.set_status(target)
        for name, value in (update or {}).items():
            setattr(obj, name, value)
        fields = {"status", *(update or {})}
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            fields.add("updated_at")
        obj.save(update_fields=sorted(fields))
        write_event(obj=obj, previous=previous, current=target, user=user, actor=actor, parameters=parameters)
        scheduled = list((follow_ups or {}).get(target, ()))
        args = task_args(obj) if task_args else (obj.pk,)
        for follow_up in scheduled:
            enqueue_on_commit(follow_up.func, *args, cluster=follow_up.cluster)
    return TransitionResult(obj=obj, previous=previous, current=target, follow_ups=scheduled)
