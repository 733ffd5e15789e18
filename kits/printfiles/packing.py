"""Tray packing: lay figurine footprints (rectangles) out on a printer's tray, with a clearance margin.

Pure Python (no Django). A *part* is a footprint ``width × depth`` in millimetres (the scaled figurine
with its base, seen from above) with a key and a priority (earlier promised delivery first). Parts are
taken in priority order and each is placed if it fits, so the tray holds as many parts as fit, earliest
due first; a part that does not fit waits for the next tray while later, smaller parts may still fill gaps.

Two packers share that contract:

- :func:`pack_shelf` — the obvious baseline: rows (shelves) filled left to right, first fit, no rotation;
- :func:`pack_maxrects` — MaxRects (Jylänki, "A Thousand Ways to Pack the Bin", 2010) with 90-degree
  rotations: it keeps every maximal free rectangle of the tray, places each part in the free rectangle
  that fits it best, then splits and prunes the free rectangles. Several scoring rules, and a short
  look-ahead (the best-fitting of the next three due parts goes first), are tried; the fullest tray is
  kept. It fills the gaps shelves leave behind.

Clearance: every part keeps at least ``margin`` millimetres from every other part and from the tray's
edges. Packing inflates each footprint by ``margin`` and packs it into the tray shrunk by ``margin``,
offset by ``margin``, which guarantees exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

EPS = 1e-9


@dataclass(frozen=True)
class Part:
    """A footprint to place: ``width`` along the tray's x, ``depth`` along its y (mm)."""

    key: str
    width: float
    depth: float
    priority: float = 0.0  # lower goes first (e.g. a due date as a timestamp)
    label: str = ""

    def __post_init__(self) -> None:
        if not (self.width > 0 and self.depth > 0):
            raise ValueError(f"part {self.key!r} needs a positive footprint, not {self.width}×{self.depth}")


@dataclass(frozen=True)
class Placed:
    """A part on the tray: its lower-left corner (x, y) and its footprint as placed (rotated or not)."""

    key: str
    x: float
    y: float
    width: float
    depth: float
    rotated: bool
    label: str = ""

    @property
    def x2(self) -> float:
        return self.x + self.width

    @property
    def y2(self) -> float:
        return self.y + self.depth

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.depth / 2)


@dataclass
class TrayLayout:
    """The result of packing one tray: what was placed, what was left, the area used."""

    tray_width: float
    tray_depth: float
    margin: float
    algorithm: str
    placed: list[Placed] = field(default_factory=list)
    left_over: list[str] = field(default_factory=list)

    @property
    def utilisation(self) -> float:
        """Footprint area placed / tray area (0..1), margins not counted as used."""
        area = self.tray_width * self.tray_depth
        return sum(p.width * p.depth for p in self.placed) / area if area > 0 else 0.0

    def as_dict(self) -> dict:
        """JSON-ready: the tray, the margin, the placements (mm) and the utilisation."""
        return {
            "tray_mm": [self.tray_width, self.tray_depth],
            "margin_mm": self.margin,
            "algorithm": self.algorithm,
            "utilisation": round(self.utilisation, 4),
            "parts": [
                {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(p).items()}
                for p in self.placed
            ],
            "left_over": list(self.left_over),
        }


def _ordered(parts: Iterable[Part]) -> list[Part]:
    return sorted(parts, key=lambda p: (p.priority, p.key))


def fits_tray(part: Part, tray_width: float, tray_depth: float, margin: float) -> bool:
    """Whether ``part`` fits an empty tray at all (either way round), with its clearance."""
    w, d = part.width + margin, part.depth + margin
    inner_w, inner_d = tray_width - margin, tray_depth - margin
    return (w <= inner_w + EPS and d <= inner_d + EPS) or (d <= inner_w + EPS and w <= inner_d + EPS)


# --------------------------------------------------------------------------------------------- shelves
def pack_shelf(
    parts: Sequence[Part], tray_width: float, tray_depth: float, margin: float = 5.0
) -> TrayLayout:
    """Shelf packing, first fit, no rotation: the baseline an operator would do by hand."""
    layout = TrayLayout(tray_width, tray_depth, margin, "shelf")
    inner_w, inner_d = tray_width - margin, tray_depth - margin
    shelves: list[list[float]] = []  # [y, height, used width]
    top = 0.0
    for part in _ordered(parts):
        w, d = part.width + margin, part.depth + margin
        spot = None
        for shelf in shelves:
            if d <= shelf[1] + EPS and shelf[2] + w <= inner_w + EPS:
                spot = shelf
                break
        if spot is None and w <= inner_w + EPS and top + d <= inner_d + EPS:
            spot = [top, d, 0.0]
            shelves.append(spot)
            top += d
        if spot is None:
            layout.left_over.append(part.key)
            continue
        layout.placed.append(
            Placed(part.key, margin + spot[2], margin + spot[0], part.width, part.depth, False, part.label)
        )
        spot[2] += w
    return layout


# --------------------------------------------------------------------------------------------- MaxRects
HEURISTICS = ("best_short_side", "best_area", "bottom_left", "contact_point")
WINDOWS = (1, 3)  # look-ahead: 1 = strictly in due order; 3 = best of the next three due


class MaxRects:
    """The free space of one bin as maximal free rectangles ``(x, y, w, h)``."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.free: list[tuple[float, float, float, float]] = [(0.0, 0.0, width, height)]
        self.used: list[tuple[float, float, float, float]] = []

    def _contact(self, x: float, y: float, w: float, h: float) -> float:
        """Perimeter length touching the bin's edges or placed rectangles (larger is better)."""
        score = 0.0
        if x <= EPS or x + w >= self.width - EPS:
            score += h
        if y <= EPS or y + h >= self.height - EPS:
            score += w
        for ux, uy, uw, uh in self.used:
            if abs(ux - (x + w)) <= EPS or abs(ux + uw - x) <= EPS:
                score += max(0.0, min(uy + uh, y + h) - max(uy, y))
            if abs(uy - (y + h)) <= EPS or abs(uy + uh - y) <= EPS:
                score += max(0.0, min(ux + uw, x + w) - max(ux, x))
        return score

    def find(
        self, w: float, h: float, heuristic: str, rotate: bool
    ) -> tuple[tuple, float, float, bool] | None:
        """The best position for a ``w × h`` rectangle: (score, x, y, rotated), None when it fits nowhere.

        Lower scores are better; scores of one heuristic compare across rectangles.
        """
        best: tuple[float, float] | None = None
        spot: tuple[tuple, float, float, bool] | None = None
        options = ((w, h, False), (h, w, True)) if rotate and abs(w - h) > EPS else ((w, h, False),)
        for fx, fy, fw, fh in self.free:
            for rw, rh, rotated in options:
                if rw > fw + EPS or rh > fh + EPS:
                    continue
                if heuristic == "best_short_side":
                    a, b = fw - rw, fh - rh
                    score = (min(a, b), max(a, b))
                elif heuristic == "best_area":
                    a, b = fw - rw, fh - rh
                    score = (fw * fh - rw * rh, min(a, b))
                elif heuristic == "bottom_left":
                    score = (fy + rh, fx)
                else:  # contact point: most touching perimeter first
                    score = (-self._contact(fx, fy, rw, rh), fy)
                if best is None or score < best:
                    best, spot = score, (score, fx, fy, rotated)
        return spot

    def place(self, x: float, y: float, w: float, h: float) -> None:
        """Occupy ``(x, y, w, h)``: split every free rectangle it overlaps, then drop contained ones."""
        new: list[tuple[float, float, float, float]] = []
        kept: list[tuple[float, float, float, float]] = []
        for fx, fy, fw, fh in self.free:
            if x >= fx + fw - EPS or x + w <= fx + EPS or y >= fy + fh - EPS or y + h <= fy + EPS:
                kept.append((fx, fy, fw, fh))
                continue
            if x > fx + EPS:
                new.append((fx, fy, x - fx, fh))
            if x + w < fx + fw - EPS:
                new.append((x + w, fy, fx + fw - (x + w), fh))
            if y > fy + EPS:
                new.append((fx, fy, fw, y - fy))
            if y + h < fy + fh - EPS:
                new.append((fx, y + h, fw, fy + fh - (y + h)))
        self.free = _prune(kept, new)
        self.used.append((x, y, w, h))


def _contains(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether rectangle ``a`` contains ``b``."""
    return (
        b[0] >= a[0] - EPS
        and b[1] >= a[1] - EPS
        and b[0] + b[2] <= a[0] + a[2] + EPS
        and b[1] + b[3] <= a[1] + a[3] + EPS
    )


def _prune(kept: list, new: list) -> list:
    """Kept rectangles never contain one another; only the new ones need checking (against all)."""
    survivors = []
    for i, rect in enumerate(new):
        if any(_contains(other, rect) for other in kept):
            continue
        if any(j != i and _contains(other, rect) and (other != rect or j < i) for j, other in enumerate(new)):
            continue
        survivors.append(rect)
    kept = [r for r in kept if not any(_contains(s, r) for s in survivors)]
    return kept + survivors


def _pack_maxrects_once(
    parts: list[Part],
    tray_width: float,
    tray_depth: float,
    margin: float,
    heuristic: str,
    rotate: bool,
    window: int = 1,
) -> TrayLayout:
    """One MaxRects packing. With ``window`` > 1, each step places whichever of the next ``window``
    parts (in due order) fits best — Jylänki's "global" choice, kept local so due order still leads."""
    name = f"maxrects:{heuristic}" + (f":window{window}" if window > 1 else "")
    layout = TrayLayout(tray_width, tray_depth, margin, name)
    inner_w, inner_d = tray_width - margin, tray_depth - margin
    if inner_w <= 0 or inner_d <= 0:
        layout.left_over = [p.key for p in parts]
        return layout
    bin_ = MaxRects(inner_w, inner_d)
    pending = list(parts)
    while pending:
        best = None
        for index, part in enumerate(pending[:window]):
            spot = bin_.find(part.width + margin, part.depth + margin, heuristic, rotate)
            if spot is not None and (best is None or (spot[0][0], index) < (best[0][0][0], best[1])):
                best = (spot, index)
        if best is None:  # none of them fits any more (free space only shrinks): they wait for a next tray
            layout.left_over.extend(p.key for p in pending[:window])
            del pending[:window]
            continue
        (_, x, y, rotated), index = best
        part = pending.pop(index)
        w, d = part.width + margin, part.depth + margin
        bin_.place(x, y, *((d, w) if rotated else (w, d)))
        width, depth = (part.depth, part.width) if rotated else (part.width, part.depth)
        layout.placed.append(Placed(part.key, margin + x, margin + y, width, depth, rotated, part.label))
    return layout


def pack_maxrects(
    parts: Sequence[Part],
    tray_width: float,
    tray_depth: float,
    margin: float = 5.0,
    *,
    rotate: bool = True,
    heuristics: Sequence[str] = HEURISTICS,
    windows: Sequence[int] = WINDOWS,
) -> TrayLayout:
    """MaxRects with rotations: each heuristic (and look-ahead window) packs the tray; the fullest wins.

    "Fullest" is the most parts placed, then the earliest-due parts kept (the sum of the positions of
    the left-over parts in priority order is largest), then the largest utilisation.
    """
    ordered = _ordered(parts)
    rank = {p.key: i for i, p in enumerate(ordered)}
    best: TrayLayout | None = None
    best_score: tuple | None = None
    for heuristic in heuristics:
        if heuristic not in HEURISTICS:
            raise ValueError(f"unknown heuristic {heuristic!r}; one of {', '.join(HEURISTICS)}")
        for window in windows:
            layout = _pack_maxrects_once(
                ordered, tray_width, tray_depth, margin, heuristic, rotate, max(1, window)
            )
            score = (len(layout.placed), sum(rank[k] for k in layout.left_over), layout.utilisation)
            if best_score is None or score > best_score:
                best, best_score = layout, score
    assert best is not None
    return best


PACKERS = {"maxrects": pack_maxrects, "shelf": pack_shelf}


def pack_trays(
    parts: Sequence[Part],
    tray_width: float,
    tray_depth: float,
    margin: float = 5.0,
    *,
    algorithm: str = "maxrects",
) -> list[TrayLayout]:
    """Fill trays one after another (earliest due first) until every part that fits a tray is placed.

    Parts too big for an empty tray are never placed; they are listed in the last layout's ``left_over``.
    """
    packer = PACKERS[algorithm]
    pending = _ordered(parts)
    too_big = [p.key for p in pending if not fits_tray(p, tray_width, tray_depth, margin)]
    pending = [p for p in pending if p.key not in set(too_big)]
    by_key = {p.key: p for p in pending}
    trays: list[TrayLayout] = []
    while pending:
        layout = packer(pending, tray_width, tray_depth, margin)
        if not layout.placed:  # cannot happen for parts that fit an empty tray; guard against looping
            break
        trays.append(layout)
        pending = [by_key[k] for k in layout.left_over]
    if trays:
        trays[-1].left_over = too_big + [p.key for p in pending]
    elif too_big:
        trays.append(TrayLayout(tray_width, tray_depth, margin, algorithm, [], too_big))
    return trays


def overlaps(a: Placed, b: Placed, clearance: float = 0.0) -> bool:
    """Whether two placed parts come closer than ``clearance`` (overlap when it is 0)."""
    return (
        a.x < b.x2 + clearance - 1e-6
        and b.x < a.x2 + clearance - 1e-6
        and a.y < b.y2 + clearance - 1e-6
        and b.y < a.y2 + clearance - 1e-6
    )


def validate_layout(layout: TrayLayout) -> list[str]:
    """Problems of a layout (parts off the tray, closer than the margin, overlapping); empty when sound."""
    problems = []
    m = layout.margin
    for p in layout.placed:
        if (
            p.x < m - 1e-6
            or p.y < m - 1e-6
            or p.x2 > layout.tray_width - m + 1e-6
            or p.y2 > layout.tray_depth - m + 1e-6
        ):
            problems.append(f"{p.key} leaves the tray or its edge clearance")
    for i, a in enumerate(layout.placed):
        for b in layout.placed[i + 1 :]:
            if overlaps(a, b, m):
                problems.append(f"{a.key} and {b.key} are closer than {m} mm")
    return problems
