"""Tray packing (pure): never overlaps, never leaves the tray, keeps the margin, earliest due first."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from kits.printfiles.packing import (
    HEURISTICS,
    Part,
    fits_tray,
    overlaps,
    pack_maxrects,
    pack_shelf,
    pack_trays,
    validate_layout,
)
from kits.printfiles.tray_render import render_layout_png

TRAYS = [(490.0, 390.0, 5.0), (508.0, 508.0, 5.0), (200.0, 120.0, 3.0), (300.0, 300.0, 0.0)]


def random_parts(rng: random.Random, n: int, largest: float = 160.0) -> list[Part]:
    return [
        Part(
            f"p{i}", round(rng.uniform(8, largest), 2), round(rng.uniform(8, largest), 2), rng.uniform(0, 100)
        )
        for i in range(n)
    ]


def assert_sound(layout, parts):
    assert validate_layout(layout) == []
    by_key = {p.key: p for p in parts}
    for placed in layout.placed:
        part = by_key[placed.key]
        expected = (part.depth, part.width) if placed.rotated else (part.width, part.depth)
        assert (placed.width, placed.depth) == pytest.approx(expected)
        assert placed.x >= layout.margin - 1e-6 and placed.x2 <= layout.tray_width - layout.margin + 1e-6
        assert placed.y >= layout.margin - 1e-6 and placed.y2 <= layout.tray_depth - layout.margin + 1e-6
    for i, a in enumerate(layout.placed):
        for b in layout.placed[i + 1 :]:
            assert not overlaps(a, b, layout.margin), (a, b)
    keys = [p.key for p in layout.placed] + layout.left_over
    assert sorted(keys) == sorted(by_key)  # every part is either placed or left over, once


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("packer", ["maxrects", "shelf"])
def test_random_parts_never_overlap_nor_leave_the_tray(seed, packer):
    rng = random.Random(seed)
    width, depth, margin = TRAYS[seed % len(TRAYS)]
    parts = random_parts(rng, rng.randint(1, 60), largest=rng.choice([40.0, 90.0, 200.0]))
    layout = (pack_maxrects if packer == "maxrects" else pack_shelf)(parts, width, depth, margin)
    assert_sound(layout, parts)


@pytest.mark.parametrize("window", [1, 3, 6])
@pytest.mark.parametrize("heuristic", HEURISTICS)
def test_every_heuristic_is_sound(heuristic, window):
    rng = random.Random(99 + window)
    parts = random_parts(rng, 50, 120)
    layout = pack_maxrects(parts, 490, 390, 5, heuristics=[heuristic], windows=[window])
    assert layout.algorithm.startswith(f"maxrects:{heuristic}")
    assert_sound(layout, parts)


def test_identical_squares_fill_the_tray_in_a_grid():
    # 100 mm squares with a 10 mm margin on a 450 mm tray: (450 - 10) // 110 = 4 per side
    parts = [Part(f"s{i}", 100, 100, i) for i in range(20)]
    layout = pack_maxrects(parts, 450, 450, 10)
    assert len(layout.placed) == 16
    assert layout.left_over == [f"s{i}" for i in range(16, 20)]  # the latest due wait
    assert layout.utilisation == pytest.approx(16 * 100 * 100 / 450**2)


def test_rotation_lets_a_long_part_fit():
    part = Part("long", 180, 60)
    assert not pack_shelf([part], 100, 200, 5).placed
    layout = pack_maxrects([part], 100, 200, 5)
    (placed,) = layout.placed
    assert placed.rotated and (placed.width, placed.depth) == (60, 180)
    assert fits_tray(part, 100, 200, 5) and not fits_tray(Part("big", 300, 60), 100, 200, 5)


def test_earliest_due_first_when_not_everything_fits():
    # two parts that cannot share the tray: the earlier due one wins whatever the input order
    late, early = Part("late", 150, 150, priority=9), Part("early", 150, 150, priority=1)
    for packer in (pack_maxrects, pack_shelf):
        layout = packer([late, early], 200, 200, 5)
        assert [p.key for p in layout.placed] == ["early"] and layout.left_over == ["late"]


def test_pack_trays_places_every_part_that_fits_once():
    rng = random.Random(5)
    parts = random_parts(rng, 120, 150) + [Part("huge", 600, 600, 0)]
    trays = pack_trays(parts, 490, 390, 5)
    placed = [p.key for t in trays for p in t.placed]
    assert sorted(placed) == sorted(p.key for p in parts if p.key != "huge")
    assert trays[-1].left_over == ["huge"]
    for tray in trays:
        assert validate_layout(tray) == []


def test_maxrects_fits_more_than_shelves_on_mixed_sizes():
    rng = random.Random(11)
    gains = []
    for _ in range(5):
        parts = random_parts(rng, 200, 130)
        shelf = pack_trays(parts, 490, 390, 5, algorithm="shelf")
        maxrects = pack_trays(parts, 490, 390, 5, algorithm="maxrects")
        assert len(maxrects) <= len(shelf)
        gains.append(len(maxrects[0].placed) / len(shelf[0].placed))
    assert sum(gains) / len(gains) > 1.1


def test_bad_footprint_is_refused():
    with pytest.raises(ValueError):
        Part("flat", 0, 10)
    with pytest.raises(ValueError):
        pack_maxrects([Part("a", 10, 10)], 100, 100, 5, heuristics=["nope"])


def test_layout_picture_is_a_png_of_the_tray(tmp_path):
    parts = [Part(f"p{i}", 60 + 10 * i, 40, i, label=f"#{i}") for i in range(6)]
    layout = pack_maxrects(parts, 490, 390, 5)
    png = render_layout_png(layout.as_dict(), title="Tray #1", px_per_mm=2)
    path = tmp_path / "tray.png"
    path.write_bytes(png)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (490 * 2 + 40, 390 * 2 + 40 + 44)
        # a part's outline is drawn in its colour where the layout put it
        first = layout.placed[0]
        x = int(20 + first.x * 2)
        y = int(44 + 20 + (390 - first.y - first.depth / 2) * 2)
        assert image.convert("RGB").getpixel((x, y)) != (250, 250, 250)
