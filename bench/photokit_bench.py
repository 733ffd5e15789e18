"""Photo intake and quality check: time and peak memory, against the obvious alternatives.

    .venv/bin/python bench/photokit_bench.py [--perception]

Rows:
* intake (``open_photo``) + ``reencode`` + ``assess_photo`` of 2 MP and 12 MP phone-sized JPEGs;
* ``assess_photo`` on the normalised working copy (ours, longest side 1024) vs on the full-resolution
  photo (``work_side`` = the photo's size);
* a 64 MP compression bomb (an all-black PNG of ~60 KB): refused from its header by ``open_photo`` vs
  what a naive ``Image.open(...).load()`` costs;
* ``perceive()`` seconds per photo, learned (mediapipe) vs classical, on real photographs from
  scikit-image and the 2 MP phone JPEG (``--perception``: only these rows).
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kits.photo import PhotoRejected, QualityThresholds, assess_photo, open_photo, reencode  # noqa: E402
from tests.kits.photo.images import figure_photo  # noqa: E402


def measure(fn, repeat: int = 3) -> tuple[float, float, object]:
    """Best wall time (s) over ``repeat`` runs and the peak traced memory (MB) of one run.

    tracemalloc sees Python and numpy allocations, not Pillow's C image buffers.
    """
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 1e6, result


def phone_jpeg(width: int, height: int) -> bytes:
    small = figure_photo(width // 2, height // 2, seed=5)
    big = small.resize((width, height), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(1).normal(0, 2.0, (height, width, 3))
    big = Image.fromarray(np.clip(np.asarray(big, float) + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def bomb_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (side, side), 0).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def perception_rows() -> list[tuple[str, str, float, float, str]]:
    """``perceive()`` per photo: the learned backend (models loaded once beforehand) and the classical one."""
    import skimage.data

    from kits.photo.perception import learned_available, perceive

    photos = {
        "astronaut 512": skimage.data.astronaut(),
        "chelsea 451x300": skimage.data.chelsea(),
        "2 MP phone": np.asarray(open_photo(phone_jpeg(1224, 1632)).image),
    }
    rows = []
    if learned_available():
        perceive(photos["astronaut 512"])  # load the models once
    for label, rgb in photos.items():
        for learned in (True, False) if learned_available() else (False,):
            t, mem, result = measure(lambda rgb=rgb, learned=learned: perceive(rgb, learned=learned))
            note = (
                f"{result.backend}/{result.mask_method}, {len(result.faces)} faces, {len(result.poses)} poses"
            )
            rows.append((label, f"perceive, {'learned' if learned else 'classical'}", t, mem, note))
    return rows


def main() -> None:
    rows: list[tuple[str, str, float, float, str]] = []
    if "--perception" in sys.argv[1:]:
        print_rows(perception_rows())
        return
    for label, (w, h) in (("2 MP", (1224, 1632)), ("12 MP", (3024, 4032))):
        data = phone_jpeg(w, h)
        t, mem, photo = measure(lambda data=data: open_photo(data))
        rows.append(
            (
                label,
                "open_photo (sniff, header check, decode, orient)",
                t,
                mem,
                f"{len(data) / 1e6:.1f} MB in",
            )
        )
        t, mem, stored = measure(lambda photo=photo: reencode(photo))
        rows.append(
            (label, "reencode (JPEG q92, no metadata)", t, mem, f"{len(stored.data) / 1e6:.1f} MB out")
        )
        t, mem, report = measure(lambda photo=photo: assess_photo(photo))
        rows.append(
            (label, "assess_photo, working copy <= 1024 px (ours)", t, mem, f"{len(report['issues'])} issues")
        )
        full = QualityThresholds(work_side=max(w, h))
        t, mem, report = measure(
            lambda photo=photo, full=full: assess_photo(photo, thresholds=full), repeat=1
        )
        rows.append(
            (
                label,
                "assess_photo at full resolution (alternative)",
                t,
                mem,
                f"{len(report['issues'])} issues",
            )
        )

    side = 8000
    bomb = bomb_png(side)

    def ours() -> str:
        try:
            open_photo(bomb)
        except PhotoRejected as exc:
            return exc.code
        return "accepted"

    t, mem, code = measure(ours)
    rows.append(("64 MP bomb", f"open_photo refuses ({len(bomb) / 1e3:.0f} KB file)", t, mem, code))

    def naive() -> tuple[int, int]:
        image = Image.open(io.BytesIO(bomb))
        image.load()
        return image.size

    t, mem, size = measure(naive, repeat=1)
    pixels_mb = size[0] * size[1] / 1e6
    rows.append(
        (
            "64 MP bomb",
            "naive Image.open().load() (alternative)",
            t,
            mem,
            f"decoded {pixels_mb:.0f} MB of pixels",
        )
    )

    rows += perception_rows()
    print_rows(rows)


def print_rows(rows: list[tuple[str, str, float, float, str]]) -> None:
    print(
        f"{'input':<11} {'step':<52} {'time s':>8} {'py MB':>9}  note  (py MB: tracemalloc peak, no Pillow buffers)"
    )
    for label, step, t, mem, note in rows:
        print(f"{label:<11} {step:<52} {t:>8.3f} {mem:>9.1f}  {note}")


if __name__ == "__main__":
    main()
