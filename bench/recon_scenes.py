"""The subjects of bench/recon_eval.py and their photographs: figurine-like primitives (capsules and
ellipsoids with colours, z up, facing -Y) in several poses, rendered in colour (orthographic, even lighting),
clean or as a phone would take them (framing, gradient backdrop, floor shadow, noise, JPEG)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SKIN = (232, 188, 160)
HAIR = (70, 45, 30)


# --------------------------------------------------------------------------- primitives


@dataclass
class Capsule:
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    r: float
    colour: tuple[int, int, int]

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        a = torch.tensor(self.a, dtype=p.dtype)
        b = torch.tensor(self.b, dtype=p.dtype)
        ab = b - a
        t = ((p - a) @ ab / (ab @ ab)).clamp(0, 1)
        return (p - a - t[:, None] * ab).norm(dim=1) - self.r


@dataclass
class Ellipsoid:
    c: tuple[float, float, float]
    radii: tuple[float, float, float]
    colour: tuple[int, int, int]
    cut_below: float | None = None  # flat cut (busts)

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        r = torch.tensor(self.radii, dtype=p.dtype)
        q = p - torch.tensor(self.c, dtype=p.dtype)
        k0 = (q / r).norm(dim=1)
        k1 = (q / (r * r)).norm(dim=1).clamp_min(1e-9)
        d = k0 * (k0 - 1.0) / k1
        if self.cut_below is not None:
            d = torch.maximum(d, self.cut_below - p[:, 2])
        return d


def person(
    x: float = 0.0, *, shirt=(200, 60, 60), trousers=(40, 50, 120), pose: str = "standing", s: float = 1.0
):
    """A person about ``s`` tall standing on z = 0 at x, facing -Y."""
    P = []

    def cap(a, b, r, col):
        P.append(Capsule((x + a[0] * s, a[1] * s, a[2] * s), (x + b[0] * s, b[1] * s, b[2] * s), r * s, col))

    def ell(c, rr, col):
        P.append(Ellipsoid((x + c[0] * s, c[1] * s, c[2] * s), (rr[0] * s, rr[1] * s, rr[2] * s), col))

    ell((0, 0, 0.9), (0.065, 0.075, 0.085), SKIN)  # head
    ell((0, 0.012, 0.93), (0.068, 0.072, 0.07), HAIR)  # hair cap, set back
    cap((0, 0, 0.78), (0, 0, 0.84), 0.035, SKIN)  # neck
    ell((0, 0, 0.64), (0.13, 0.08, 0.17), shirt)  # torso
    ell((0, 0, 0.47), (0.11, 0.075, 0.08), trousers)  # hips
    leg_fwd = 0.09 if pose == "walking" else 0.0
    for side in (-1, 1):
        fy = -leg_fwd if side < 0 else leg_fwd
        cap((side * 0.06, 0, 0.45), (side * 0.065, fy, 0.06), 0.05, trousers)  # legs
        ell((side * 0.065, fy - 0.04, 0.035), (0.04, 0.075, 0.035), (30, 30, 30))  # shoes
        if pose == "arms_out":
            hand = (side * 0.42, 0.0, 0.62)
        elif pose == "walking":
            hand = (side * 0.16, 0.12 * side, 0.42)
        elif pose == "hands_on_hips":
            hand = (side * 0.12, 0.0, 0.5)
        else:
            hand = (side * 0.18, 0.0, 0.42)
        shoulder = (side * 0.15, 0.0, 0.75)
        if pose == "hands_on_hips":
            elbow = (side * 0.25, 0.02, 0.6)
            cap(shoulder, elbow, 0.038, shirt)
            cap(elbow, hand, 0.034, SKIN)
        else:
            cap(shoulder, hand, 0.036, shirt)
            ell(hand, (0.035, 0.035, 0.045), SKIN)
    return P


def pet():
    """A dog standing, facing the camera (-Y): body along Y, head in front."""
    fur = (190, 140, 80)
    dark = (90, 60, 40)
    P = [
        Ellipsoid((0, 0.1, 0.5), (0.17, 0.36, 0.17), fur),  # body
        Ellipsoid((0, -0.3, 0.72), (0.13, 0.13, 0.13), fur),  # head
        Ellipsoid((0, -0.42, 0.68), (0.06, 0.08, 0.05), dark),  # muzzle
        Capsule((0, -0.2, 0.6), (0, -0.28, 0.7), 0.09, fur),  # neck
        Ellipsoid((-0.1, -0.28, 0.85), (0.04, 0.03, 0.08), dark),  # ears
        Ellipsoid((0.1, -0.28, 0.85), (0.04, 0.03, 0.08), dark),
        Capsule((0, 0.45, 0.58), (0, 0.6, 0.78), 0.035, dark),  # tail
    ]
    for sx in (-1, 1):
        for sy in (-0.15, 0.32):
            P.append(Capsule((sx * 0.1, sy, 0.45), (sx * 0.1, sy, 0.05), 0.055, fur))
            P.append(Ellipsoid((sx * 0.1, sy - 0.03, 0.03), (0.055, 0.07, 0.03), dark))
    return P


def bust():
    P = [
        Ellipsoid((0, 0, 0.0), (0.5, 0.24, 0.42), (60, 90, 160), cut_below=0.0),  # shoulders/chest
        Capsule((0, 0, 0.35), (0, 0, 0.5), 0.11, SKIN),  # neck
        Ellipsoid((0, 0, 0.68), (0.2, 0.23, 0.26), SKIN),  # head
        Ellipsoid((0, 0.04, 0.76), (0.21, 0.22, 0.22), HAIR),
        Ellipsoid((0, -0.22, 0.66), (0.04, 0.05, 0.06), SKIN),  # nose
    ]
    return P


CASES = {
    "standing": ("solo", lambda: person()),
    "arms_out": ("solo", lambda: person(pose="arms_out")),
    "walking": ("solo", lambda: person(pose="walking")),
    "hands_on_hips": ("solo", lambda: person(pose="hands_on_hips")),
    "couple": (
        "couple",
        lambda: (
            person(-0.2, pose="standing")
            + person(0.2, shirt=(70, 140, 90), trousers=(20, 20, 20), s=1.08)
            + [Capsule((-0.02, 0.0, 0.42), (0.04, 0.0, 0.44), 0.03, SKIN)]
        ),
    ),
    "pet": ("pet", pet),
    "bust": ("bust", bust),
}


def union_sdf(prims, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    d = torch.stack([pr.sdf(p) for pr in prims], dim=1)
    val, idx = d.min(dim=1)
    return val, idx


# --------------------------------------------------------------------------- rendering


def render(
    prims, view: str, size: int, fill: float, shift: tuple[float, float], bg=(238, 238, 236)
) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic colour render by sphere tracing; the subject spans ``fill`` of the image height.

    Returns the image and the exact subject mask (the rays that hit).
    """
    torch.set_grad_enabled(False)
    lo, hi = subject_bounds(prims)
    height = float(hi[2] - lo[2])
    scale = fill * size / height  # px per unit
    cx = float(lo[0] + hi[0]) / 2 if view == "front" else float(lo[1] + hi[1]) / 2
    cz = float(lo[2] + hi[2]) / 2
    jj, ii = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    u = (ii + 0.5 - size / 2 - shift[0] * size) / scale + cx
    w = -(jj + 0.5 - size / 2 - shift[1] * size) / scale + cz
    n = size * size
    if view == "front":  # camera at -Y looking +Y, image right = +X
        origin = torch.stack(
            [u.reshape(-1), torch.full((n,), float(lo[1]) - 0.1, dtype=torch.float32), w.reshape(-1)], 1
        )
        d = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float32)
    else:  # camera at +X looking -X, image right = +Y (faces image left)
        origin = torch.stack(
            [torch.full((n,), float(hi[0]) + 0.1, dtype=torch.float32), u.reshape(-1), w.reshape(-1)], 1
        )
        d = torch.tensor([-1.0, 0.0, 0.0], dtype=torch.float32)
    # only rays inside the subject's projected box
    keep = (u.reshape(-1) >= float(lo[0 if view == "front" else 1]) - 0.02) & (
        u.reshape(-1) <= float(hi[0 if view == "front" else 1]) + 0.02
    )
    keep &= (w.reshape(-1) >= float(lo[2]) - 0.02) & (w.reshape(-1) <= float(hi[2]) + 0.02)
    idx = torch.nonzero(keep)[:, 0]
    o = origin[idx]
    t = torch.zeros(len(idx), dtype=torch.float32)
    hit = torch.zeros(len(idx), dtype=torch.bool)
    far = float((hi - lo).norm()) + 0.3
    active = torch.arange(len(idx))
    for _ in range(96):  # sphere tracing; only the rays still marching are evaluated
        val, _ = union_sdf(prims, o[active] + t[active, None] * d)
        done = val < 2e-4
        hit[active[done]] = True
        marching = active[~done]
        t[marching] += val[~done].clamp_min(1e-4)
        active = marching[t[marching] <= far]
        if not len(active):
            break
    hit &= t < far
    p = o + t[:, None] * d
    _, which = union_sdf(prims, p)
    eps = 1e-3
    grad = torch.stack(
        [
            union_sdf(prims, p + torch.tensor(e, dtype=torch.float32) * eps)[0]
            - union_sdf(prims, p - torch.tensor(e, dtype=torch.float32) * eps)[0]
            for e in ([1, 0, 0], [0, 1, 0], [0, 0, 1])
        ],
        1,
    )
    normal = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-9)
    light = -d + torch.tensor([0.3, 0.0, 0.5], dtype=torch.float32)
    shade = 0.88 + 0.12 * (normal @ (light / light.norm())).clamp(0, 1)
    colours = torch.tensor([pr.colour for pr in prims], dtype=torch.float32)[which] * shade[:, None]
    img = torch.tensor(bg, dtype=torch.float32).repeat(n, 1)
    img[idx[hit]] = colours[hit]
    mask = torch.zeros(n, dtype=torch.bool)
    mask[idx[hit]] = True
    rgb = img.reshape(size, size, 3).clamp(0, 255).round().to(torch.uint8).numpy()
    return rgb, mask.reshape(size, size).numpy()


def phone_photo(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator, quality: int = 85) -> np.ndarray:
    """The render as a phone would take it: a grey gradient backdrop (wall to floor, a slight colour
    cast and vignette), a soft shadow on the floor under the subject, sensor noise, JPEG at ``quality``.

    The subject's pixels are the render's; everything else is the new backdrop.
    """
    import io

    from PIL import Image
    from scipy import ndimage

    h, w = mask.shape
    yy = np.linspace(0.0, 1.0, h)[:, None]
    xx = np.linspace(-1.0, 1.0, w)[None, :]
    top, bottom = rng.uniform(140, 175), rng.uniform(185, 220)
    grey = top + (bottom - top) * yy
    if rng.uniform() < 0.5:  # light from one side
        grey = grey * (1.0 + rng.uniform(-0.08, 0.08) * xx)
    vignette = 1.0 - 0.10 * xx**2 - 0.08 * (yy - 0.45) ** 2
    cast = rng.uniform(-5, 5, 3)
    bg = grey[:, :, None] * vignette[:, :, None] + cast[None, None, :]
    # soft floor shadow: an ellipse under the feet, centred a little below the ground line
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask[rows[-1] - max(1, (rows[-1] - rows[0]) // 12) : rows[-1] + 1].any(axis=0))[0]
    all_cols = np.nonzero(mask.any(axis=0))[0]
    sil_h = rows[-1] - rows[0] + 1
    cx = (cols[0] + cols[-1]) / 2.0
    a = max(0.6 * (all_cols[-1] - all_cols[0] + 1), 0.75 * (cols[-1] - cols[0] + 1)) * rng.uniform(0.8, 1.1)
    b = sil_h * rng.uniform(0.03, 0.05)
    cy = rows[-1] + 0.3 * b
    jj, ii = np.mgrid[0:h, 0:w]
    r2 = ((ii - cx) / a) ** 2 + ((jj - cy) / b) ** 2
    darkness = rng.uniform(0.25, 0.4)
    shadow = 1.0 - darkness * np.exp(-1.5 * r2)
    bg = bg * shadow[:, :, None]
    out = np.where(mask[:, :, None], rgb.astype(np.float64), bg)
    # a lens is never perfectly sharp: a slight blur, then sensor noise (luminance and chroma)
    out = ndimage.gaussian_filter(out, sigma=(0.6, 0.6, 0))
    out = out + rng.normal(0.0, 3.5, (h, w, 1)) + rng.normal(0.0, 2.0, (h, w, 3))
    img = Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


def framing(prims, view: str, rng: np.random.Generator, fill: float) -> tuple[float, float]:
    """A phone's framing: the subject off centre, yet inside the frame (room below for the shadow)."""
    lo, hi = subject_bounds(prims)
    axis = 0 if view == "front" else 1
    half_w = 0.5 * fill * float(hi[axis] - lo[axis]) / float(hi[2] - lo[2])
    max_x = max(0.0, 0.47 - half_w)
    max_y = max(0.0, 0.5 - fill / 2 - 0.05)
    return (
        float(rng.uniform(-1, 1) * min(0.18, max_x)),
        float(rng.uniform(-1, 1) * min(0.08, max_y)),
    )


def subject_bounds(prims) -> tuple[torch.Tensor, torch.Tensor]:
    """The subject's exact bounding box from its primitives (capsules, ellipsoids, flat cuts)."""
    lows, highs = [], []
    for pr in prims:
        if isinstance(pr, Capsule):
            ends = np.array([pr.a, pr.b], float)
            lows.append(ends.min(0) - pr.r)
            highs.append(ends.max(0) + pr.r)
        else:
            c, r = np.array(pr.c, float), np.array(pr.radii, float)
            lo = c - r
            if pr.cut_below is not None:
                lo[2] = max(lo[2], pr.cut_below)
            lows.append(lo)
            highs.append(c + r)
    return (
        torch.tensor(np.min(lows, axis=0), dtype=torch.float32),
        torch.tensor(np.max(highs, axis=0), dtype=torch.float32),
    )
