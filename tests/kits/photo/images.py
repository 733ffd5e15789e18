"""The test photos, defined once: drawn with Pillow/numpy (nothing downloaded).

``figure_photo`` draws a textured standing figure on a plain, evenly lit studio background; the other
helpers derive one defect each from it.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

BACKGROUND = (226, 229, 233)


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A plain wall: light grey, a gentle vertical gradient and a little sensor noise."""
    base = np.array(BACKGROUND, dtype=np.float64)
    ramp = np.linspace(-6.0, 6.0, height)[:, None, None]
    img = np.broadcast_to(base, (height, width, 3)) + ramp + rng.normal(0, 1.5, (height, width, 3))
    return np.clip(img, 0, 255)


def draw_figure(
    draw: ImageDraw.ImageDraw, cx: float, top: float, height: float, rng: np.random.Generator
) -> None:
    """A standing person, ``height`` pixels tall, centred on ``cx``, head at ``top``."""
    u = height / 100.0
    skin, shirt, trousers, hair, shoes = (
        (224, 172, 140),
        (196, 52, 48),
        (44, 62, 110),
        (70, 44, 30),
        (30, 30, 30),
    )
    # legs and shoes
    draw.rectangle([cx - 9 * u, top + 52 * u, cx - 1.5 * u, top + 95 * u], fill=trousers)
    draw.rectangle([cx + 1.5 * u, top + 52 * u, cx + 9 * u, top + 95 * u], fill=trousers)
    draw.rectangle([cx - 11 * u, top + 95 * u, cx - 1 * u, top + 100 * u], fill=shoes)
    draw.rectangle([cx + 1 * u, top + 95 * u, cx + 11 * u, top + 100 * u], fill=shoes)
    # torso and arms
    draw.rounded_rectangle([cx - 12 * u, top + 17 * u, cx + 12 * u, top + 55 * u], radius=4 * u, fill=shirt)
    draw.rectangle([cx - 17 * u, top + 19 * u, cx - 12 * u, top + 50 * u], fill=shirt)
    draw.rectangle([cx + 12 * u, top + 19 * u, cx + 17 * u, top + 50 * u], fill=shirt)
    draw.ellipse([cx - 17 * u, top + 49 * u, cx - 12 * u, top + 55 * u], fill=skin)
    draw.ellipse([cx + 12 * u, top + 49 * u, cx + 17 * u, top + 55 * u], fill=skin)
    # shirt stripes and buttons (texture)
    for k in range(8):
        y = top + (20 + 4.5 * k) * u
        draw.line([cx - 12 * u, y, cx + 12 * u, y], fill=(240, 230, 220), width=max(1, round(0.8 * u)))
    for k in range(4):
        y = top + (24 + 7 * k) * u
        draw.ellipse([cx - 0.8 * u, y - 0.8 * u, cx + 0.8 * u, y + 0.8 * u], fill=(20, 20, 20))
    # jeans seams
    for x in (cx - 5 * u, cx + 5 * u):
        draw.line([x, top + 56 * u, x, top + 94 * u], fill=(90, 110, 160), width=max(1, round(0.5 * u)))
    # neck, head, hair, face
    draw.rectangle([cx - 3 * u, top + 13 * u, cx + 3 * u, top + 18 * u], fill=skin)
    draw.ellipse([cx - 7 * u, top, cx + 7 * u, top + 15 * u], fill=skin)
    draw.chord([cx - 7.5 * u, top - 0.5 * u, cx + 7.5 * u, top + 9 * u], 180, 360, fill=hair)
    for ex in (cx - 3 * u, cx + 3 * u):
        draw.ellipse([ex - 1.2 * u, top + 6 * u, ex + 1.2 * u, top + 8 * u], fill=(250, 250, 250))
        draw.ellipse([ex - 0.6 * u, top + 6.4 * u, ex + 0.6 * u, top + 7.6 * u], fill=(40, 30, 20))
    draw.arc(
        [cx - 3 * u, top + 8 * u, cx + 3 * u, top + 12.5 * u],
        20,
        160,
        fill=(150, 60, 60),
        width=max(1, round(0.6 * u)),
    )


def _texture(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fabric/skin grain on the subject only (a real photo always has some)."""
    noise = rng.normal(0, 7.0, img.shape[:2])[:, :, None]
    return np.where(mask[:, :, None], np.clip(img + noise, 0, 255), img)


def figure_photo(
    width: int = 600,
    height: int = 800,
    *,
    figures: list[tuple[float, float, float]] | None = None,
    seed: int = 0,
) -> Image.Image:
    """A clean photo: plain background, good light, one textured figure (``(cx, top, height)`` fractions)."""
    rng = np.random.default_rng(seed)
    figures = figures or [(0.5, 0.08, 0.84)]
    bg = _background(width, height, rng)
    layer = Image.new("RGB", (width, height), (0, 0, 0))
    for cx, top, h in figures:
        draw_figure(ImageDraw.Draw(layer), cx * width, top * height, h * height, rng)
    mask = subject_mask(width, height, figures)
    img = np.where(mask[:, :, None], np.asarray(layer, dtype=np.float64), bg)
    img = _texture(img, mask, rng)
    return Image.fromarray(img.astype(np.uint8), "RGB")


def cluttered_photo(width: int = 600, height: int = 800, seed: int = 1) -> Image.Image:
    """The clean figure in front of a busy room: many coloured shapes and lines behind it."""
    rng = np.random.default_rng(seed)
    scene = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(scene)
    for _ in range(160):
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        w, h = rng.uniform(10, 90), rng.uniform(10, 90)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour)
        else:
            draw.line([x0, y0, x0 + w, y0 + h], fill=colour, width=int(rng.integers(2, 6)))
    clean = figure_photo(width, height, seed=seed)
    mask = subject_mask(width, height)
    out = np.where(mask[:, :, None], np.asarray(clean), np.asarray(scene))
    return Image.fromarray(out.astype(np.uint8), "RGB")


def subject_mask(
    width: int = 600, height: int = 800, figures: list[tuple[float, float, float]] | None = None
) -> np.ndarray:
    """Where ``figure_photo`` draws its figures."""
    rng = np.random.default_rng(0)
    layer = Image.new("RGB", (width, height), (0, 0, 0))
    for cx, top, h in figures or [(0.5, 0.08, 0.84)]:
        draw_figure(ImageDraw.Draw(layer), cx * width, top * height, h * height, rng)
    return np.asarray(layer).any(axis=2)


def blurred(image: Image.Image, radius: float = 4.0) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def darkened(image: Image.Image, factor: float = 0.18) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(factor)


def brightened(image: Image.Image, factor: float = 2.2) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(factor)


def flattened(image: Image.Image, factor: float = 0.2) -> Image.Image:
    return ImageEnhance.Contrast(image).enhance(factor)


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        params.setdefault("quality", 95)
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def photo_jpeg(seed: int = 0, **save) -> bytes:
    """A good front photo as JPEG bytes: one person, plain background, even light."""
    return encode(figure_photo(seed=seed), "JPEG", **save)
