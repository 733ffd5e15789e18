"""Safe intake of customer photos (pure Pillow/numpy, no Django).

Every upload goes through :func:`open_photo` before anything else touches it:

* the type is sniffed from the first bytes (JPEG, PNG, WebP, HEIC/HEIF), never from the file name,
  and Pillow is told to use only that decoder;
* the size in bytes and the pixel count declared in the header are checked *before* decoding, so a
  decompression bomb is refused without allocating its pixels;
* the whole image is decoded (a truncated or corrupt file is refused), the EXIF orientation is
  applied and the colours are converted to sRGB when an ICC profile is embedded.

:func:`reencode` then produces the copy the studio stores: JPEG (quality 92) or PNG when the photo
has real transparency, with no EXIF (GPS included), XMP, ICC profile or comment left in it.

Refusals raise :class:`PhotoRejected` with ``code`` ``"unreadable"`` or ``"too_large"`` and a message
a customer can read.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps

from kits.hashing import bytes_sha256

try:  # HEIC/HEIF (iPhone photos); registered once, at import.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF_SUPPORTED = False

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "HEIF_SUPPORTED",
    "IntakePhoto",
    "PhotoRejected",
    "StoredPhoto",
    "open_photo",
    "reencode",
    "sniff_format",
    "too_large_message",
]

#: Largest upload accepted, in bytes (25 MB).
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
#: Largest image accepted, in pixels (40 megapixels; a 48 MP phone shoots 12 MP by default).
DEFAULT_MAX_PIXELS = 40_000_000
#: Pillow's own process-wide bomb guard. It stays on whatever other code did (never None) and
#: above our per-call limit, which is the one that decides.
PILLOW_PIXEL_GUARD = 100_000_000

if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > PILLOW_PIXEL_GUARD:
    Image.MAX_IMAGE_PIXELS = PILLOW_PIXEL_GUARD
# A truncated file must be refused, never silently padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

#: HEIF brands (ISO/IEC 23008-12) we accept in the ``ftyp`` box; AVIF is not among them.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}

#: Pillow format name -> (file extension, MIME type) of the original.
_FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "HEIF": (".heic", "image/heic"),
}

_ACCEPTED_WORDS = "JPEG, PNG, WebP or HEIC"


class PhotoRejected(Exception):
    """A photo the studio cannot take; ``code`` is ``"unreadable"`` or ``"too_large"``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class IntakePhoto:
    """A decoded, EXIF-oriented photo, ready for the quality checks and re-encoding."""

    image: Image.Image  # mode "RGB" or "RGBA", orientation applied, sRGB
    format: str  # "JPEG", "PNG", "WEBP" or "HEIF" (sniffed from the content)
    sha256: str  # of the original bytes, as uploaded
    size_bytes: int  # of the original
    original_width: int  # as stored in the file, before orientation
    original_height: int
    orientation: int = 1  # EXIF orientation tag found (1 = none)
    had_metadata: list[str] = field(default_factory=list)  # e.g. ["exif", "gps", "icc_profile", "xmp"]

    @property
    def width(self) -> int:
        """Width as the customer sees the photo (after EXIF orientation)."""
        return self.image.width

    @property
    def height(self) -> int:
        """Height as the customer sees the photo (after EXIF orientation)."""
        return self.image.height

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"

    @property
    def array(self) -> np.ndarray:
        """``HxWx3`` (or ``HxWx4`` with alpha) uint8 copy of the pixels."""
        return np.asarray(self.image)

    @property
    def content_type(self) -> str:
        return _FORMATS[self.format][1]


@dataclass(frozen=True)
class StoredPhoto:
    """The re-encoded copy the studio keeps: clean of metadata."""

    data: bytes
    format: str  # "JPEG" or "PNG"
    extension: str  # ".jpg" or ".png"
    content_type: str
    sha256: str
    width: int
    height: int


# --------------------------------------------------------------------------- reading


def sniff_format(head: bytes) -> str | None:
    """Pillow format name of an image from its first bytes (at least 32), or None if not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]}
        end = min(len(head), box_size if 16 <= box_size <= 4096 else 0)
        brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
        if brands & _HEIF_BRANDS and HEIF_SUPPORTED:
            return "HEIF"
    return None


def _read_source(
    source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO, max_bytes: int
) -> bytes:
    """All bytes of the source, refusing more than ``max_bytes`` without reading them all."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if not path.is_file():
                raise PhotoRejected("unreadable", f"{path.name or path}: no such photo file.")
            if path.stat().st_size > max_bytes:
                raise PhotoRejected("too_large", too_large_message(max_bytes))
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise PhotoRejected(
                "unreadable", f"{path.name}: the file could not be read ({exc.strerror})."
            ) from exc
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes | bytearray):
            raise PhotoRejected("unreadable", "The upload is not binary image data.")
        data = bytes(data)
    else:
        raise TypeError(f"open_photo() takes bytes, a path or a binary file, not {type(source).__name__}")
    if len(data) > max_bytes:
        raise PhotoRejected("too_large", too_large_message(max_bytes))
    return data


def megabytes(size: int) -> str:
    """``size`` in the studio's megabytes (1 MB = 1024 x 1024 bytes, as the limits are set): "25 MB"."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def too_large_message(max_bytes: int) -> str:
    """The one message for a photo over the byte limit, wherever it is refused (declared body or file)."""
    return (
        f"This photo is larger than {megabytes(max_bytes)}, the largest photo we accept. "
        "Please upload the photo as your phone took it, or a smaller export."
    )


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return (
        f"The image is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); the largest we "
        f"accept is {max_pixels / 1e6:.0f} megapixels. Please upload a smaller version of the photo."
    )


def open_photo(
    source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> IntakePhoto:
    """Read, check and decode a customer photo; raise :class:`PhotoRejected` if it cannot be taken.

    ``source`` is the uploaded bytes, a path or a binary file object (read from its current position).
    """
    data = _read_source(source, max_bytes)
    if not data:
        raise PhotoRejected("unreadable", "The file is empty.")
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise PhotoRejected(
            "unreadable", f"This file is not a photo we can read. Please upload a {_ACCEPTED_WORDS} image."
        )

    try:
        # Pillow refuses (DecompressionBombError) past twice its guard while reading the header; our own
        # limit, checked next and before any pixel is decoded, is the stricter one. (Pillow only *warns*
        # between 1x and 2x its guard; turning that into an error would need a process-wide warnings
        # filter, which is not thread-safe, and our limit is far below it anyway.)
        image = Image.open(io.BytesIO(data), formats=[fmt])
        width, height = image.size  # from the header; nothing decoded yet
        if width < 1 or height < 1:
            raise PhotoRejected("unreadable", "The image has no pixels.")
        if width * height > max_pixels:
            raise PhotoRejected("too_large", _too_many_pixels(width, height, max_pixels))
        image.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard fired while reading the header (far over our limit).
        found = re.search(r"\((\d+) pixels\)", str(exc))
        declared = f" ({int(found.group(1)) / 1e6:.0f} megapixels)" if found else ""
        raise PhotoRejected(
            "too_large",
            f"The image declares far more pixels{declared} than the {max_pixels / 1e6:.0f} megapixels we "
            "accept. Please upload a smaller version of the photo.",
        ) from exc
    except MemoryError as exc:
        raise PhotoRejected("too_large", "The image is too large to be opened.") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure means an unreadable upload
        raise PhotoRejected("unreadable", _unreadable_message(fmt, exc)) from exc

    metadata = _metadata_found(image)
    orientation = _orientation(image)
    try:
        oriented = ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the photo
        oriented = image
    try:
        oriented = _to_srgb(oriented)
    except Exception as exc:  # noqa: BLE001
        raise PhotoRejected("unreadable", _unreadable_message(fmt, exc)) from exc

    return IntakePhoto(
        image=oriented,
        format=fmt,
        sha256=bytes_sha256(data),
        size_bytes=len(data),
        original_width=width,
        original_height=height,
        orientation=orientation,
        had_metadata=metadata,
    )


def _unreadable_message(fmt: str, exc: BaseException) -> str:
    text = str(exc).lower()
    name = "HEIC" if fmt == "HEIF" else fmt.title() if fmt == "WEBP" else fmt
    if "truncated" in text or "eof" in text or "end of" in text or "broken" in text:
        return f"The {name} file is incomplete (the upload was cut off). Please upload the photo again."
    return (
        f"The file looks like a {name} image but it is damaged and cannot be opened. Please upload it again."
    )


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
        return int(value) if int(value) in range(1, 9) else 1
    except Exception:  # noqa: BLE001
        return 1


def _metadata_found(image: Image.Image) -> list[str]:
    """Which kinds of metadata the original carried (recorded, then dropped on re-encoding)."""
    found: list[str] = []
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001
        exif = None
    if exif or image.info.get("exif"):
        found.append("exif")
        try:
            if exif is not None and exif.get_ifd(0x8825):
                found.append("gps")
        except Exception:  # noqa: BLE001
            pass
    if image.info.get("icc_profile"):
        found.append("icc_profile")
    if image.info.get("xmp") or image.info.get("XML:com.adobe.xmp"):
        found.append("xmp")
    if image.info.get("comment"):
        found.append("comment")
    return found


def _to_srgb(image: Image.Image) -> Image.Image:
    """Mode RGB or RGBA, colours converted to sRGB when the file embeds an ICC profile."""
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: scale to 8 bits before the RGB conversion clips it.
        arr = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if arr.max() > 255 else 255.0
        image = Image.fromarray(np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    alpha = image.convert("RGBA").getchannel("A") if has_alpha else None
    colour: Image.Image | None = None
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            base = image.convert("RGB") if image.mode == "RGBA" else image
            colour = ImageCms.profileToProfile(base, source_profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            colour = None  # a broken profile: keep the naive conversion
    if colour is None:
        colour = image.convert("RGB") if image.mode != "RGB" else image.copy()
    if alpha is not None:
        colour.putalpha(alpha)
    colour.info = {}
    return colour


# --------------------------------------------------------------------------- storing


def _uses_alpha(image: Image.Image) -> bool:
    if image.mode != "RGBA":
        return False
    low, _high = image.getchannel("A").getextrema()
    return low < 255


def reencode(photo: IntakePhoto, *, quality: int = 92, max_side: int | None = None) -> StoredPhoto:
    """The copy to store: JPEG (``quality``), or PNG when transparency is used; no metadata at all.

    ``max_side`` optionally downsizes so the longest side is at most that many pixels.
    """
    image = photo.image
    if max_side is not None and max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    # Rebuild the pixels in a fresh image: no info dict, no cached EXIF, nothing carried over.
    use_png = _uses_alpha(image)
    mode = "RGBA" if use_png else "RGB"
    pixels = image if image.mode == mode else image.convert(mode)
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    buffer = io.BytesIO()
    if use_png:
        clean.save(buffer, format="PNG", optimize=False, compress_level=6)
        fmt, ext, mime = "PNG", ".png", "image/png"
    else:
        clean.save(buffer, format="JPEG", quality=quality, optimize=True, exif=b"", icc_profile=None)
        fmt, ext, mime = "JPEG", ".jpg", "image/jpeg"
    data = buffer.getvalue()
    return StoredPhoto(
        data=data,
        format=fmt,
        extension=ext,
        content_type=mime,
        sha256=bytes_sha256(data),
        width=clean.width,
        height=clean.height,
    )
