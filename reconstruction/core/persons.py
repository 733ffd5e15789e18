"""Couples and families: which photos show which person.

A couple or a family set is one figure per person, each from that person's own photos, standing side
by side. Photos say whose they are by :attr:`PhotoInput.person` (0-based, the order's
``person_index``). When they all carry the same number and the product line has several persons,
the photos are split by what they show: when every photo shows one person (one pose, or one subject
part without the learned perception), the photos are taken in order and a new person starts at a
front photo whose kind the current person already has (front, side, front, side: two persons); a photo
that shows several people is a group photo, and the group is reconstructed together as one figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import PhotoInput
from .views import RegisteredView

__all__ = ["PersonGroup", "persons_for", "assign_persons", "people_in"]

#: Product lines with one figure per person.
GROUP_LINES = ("couple", "family")


@dataclass
class PersonGroup:
    """The photos (and their segmented views) of one person, or of a group photo's whole group."""

    number: int  # 1-based person number (the first of a group photo's)
    photos: list[PhotoInput] = field(default_factory=list)
    views: list[RegisteredView] = field(default_factory=list)
    together: bool = False  # a group photo: the persons are one figure


def persons_for(product_line: str, persons: int) -> int:
    """How many figures the product line asks for (a couple is two, a family as ordered, else one)."""
    if product_line == "couple":
        return max(2, persons)
    if product_line == "family":
        return max(1, persons)
    return 1


def people_in(view: RegisteredView) -> int:
    """How many people a photo shows: its poses with the learned perception, else its subject parts."""
    if view.backend == "mediapipe" and view.poses:
        return len(view.poses)
    return view.components


def assign_persons(
    photos: list[PhotoInput], views: list[RegisteredView], product_line: str, persons: int
) -> tuple[list[PersonGroup], str, list[str]]:
    """Split photos (and their views, same order) into persons.

    Returns the groups (ordered by person number; a person without photos is absent), how they were
    assigned (``"single"``, ``"numbers"``, ``"detected"``, ``"group_photo"``) and notes for the report.
    """
    count = persons_for(product_line, persons)
    pairs = list(zip(photos, views, strict=True))
    if count == 1:
        return [PersonGroup(1, list(photos), list(views))], "single", []
    numbers = sorted({p.person for p in photos})
    if len(numbers) > 1 or numbers[0] > 0:  # the photos say whose they are
        groups = []
        for n in numbers:
            mine = [(p, v) for p, v in pairs if p.person == n]
            groups.append(PersonGroup(n + 1, [p for p, _ in mine], [v for _, v in mine]))
        return groups, "numbers", []
    fronts = [v for v in views if v.role == "front"]
    if any(people_in(v) > 1 for v in fronts):
        return (
            [PersonGroup(numbers[0] + 1, list(photos), list(views), together=True)],
            "group_photo",
            ["the front photo shows the persons together: they are reconstructed as one figure"],
        )
    groups = [PersonGroup(1)]
    for p, v in pairs:
        current = groups[-1]
        if v.role == "front" and p.kind in {q.kind for q in current.photos} and len(groups) < count:
            current = PersonGroup(len(groups) + 1)
            groups.append(current)
        current.photos.append(p)
        current.views.append(v)
    notes = []
    if len(groups) > 1:
        notes.append(
            "the photos carry no person numbers: they were split in order, one person per front photo "
            f"({', '.join(f'person {g.number}: ' + '+'.join(q.kind for q in g.photos) for g in groups)})"
        )
    return groups, "detected", notes
