"""Safe photo intake: type sniffing, refusals, orientation and the metadata-free stored copy."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from kits.photo import DEFAULT_MAX_PIXELS, PhotoRejected, open_photo, reencode, sniff_format

from .images import encode, figure_photo


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width x height`` pixels, with one tiny compressed row of data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _jpeg_with_metadata(orientation: int = 1) -> tuple[bytes, Image.Image]:
    image = figure_photo(300, 400)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 29.0)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = encode(image, "JPEG", exif=exif, icc_profile=icc, xmp=xmp, comment=b"secret note")
    return data, image


# --------------------------------------------------------------------------- accepted formats


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_formats_sniffed_from_content(fmt, tmp_path):
    data = encode(figure_photo(120, 160), fmt)
    # The name lies on purpose: the content decides.
    path = tmp_path / "photo.gif"
    path.write_bytes(data)
    photo = open_photo(path)
    assert photo.format == fmt
    assert (photo.width, photo.height) == (120, 160)
    assert photo.image.mode == "RGB"
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.array.shape == (160, 120, 3)


def test_bytes_and_file_objects_accepted():
    data = encode(figure_photo(100, 80), "PNG")
    assert open_photo(data).format == "PNG"
    assert open_photo(io.BytesIO(data)).size_bytes == len(data)


def test_png_alpha_kept_and_stored_as_png():
    arr = np.zeros((90, 60, 4), np.uint8)
    arr[20:70, 15:45] = (200, 40, 40, 255)
    photo = open_photo(encode(Image.fromarray(arr, "RGBA"), "PNG"))
    assert photo.image.mode == "RGBA" and photo.has_alpha
    stored = reencode(photo)
    assert stored.format == "PNG" and stored.extension == ".png"
    back = Image.open(io.BytesIO(stored.data))
    assert back.mode == "RGBA"
    assert np.array_equal(np.asarray(back), np.asarray(photo.image))


def test_opaque_rgba_is_stored_as_jpeg():
    rgba = figure_photo(80, 100).convert("RGBA")
    stored = reencode(open_photo(encode(rgba, "PNG")))
    assert stored.format == "JPEG" and stored.content_type == "image/jpeg"


def test_heic_round_trip():
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this libheif build has no HEVC encoder")
    image = figure_photo(128, 160)
    buffer = io.BytesIO()
    image.save(buffer, format="HEIF", quality=90)
    data = buffer.getvalue()
    assert sniff_format(data[:64]) == "HEIF"
    photo = open_photo(data)
    assert photo.format == "HEIF" and photo.content_type == "image/heic"
    assert (photo.width, photo.height) == (128, 160)
    # Lossy, but the same picture.
    diff = np.abs(np.asarray(photo.image, float) - np.asarray(image, float)).mean()
    assert diff < 12
    stored = reencode(photo)
    assert stored.format == "JPEG"
    assert Image.open(io.BytesIO(stored.data)).size == (128, 160)


# --------------------------------------------------------------------------- refusals


def test_decompression_bomb_refused_before_decoding():
    bomb = _png_header_only(30000, 30000)
    assert len(bomb) < 200
    with pytest.raises(PhotoRejected) as info:
        open_photo(bomb)
    assert info.value.code == "too_large"
    assert "900 megapixels" in info.value.message


def test_pixel_limit_is_the_callers():
    data = encode(figure_photo(200, 200), "PNG")
    with pytest.raises(PhotoRejected) as info:
        open_photo(data, max_pixels=39_999)
    assert info.value.code == "too_large"
    assert open_photo(data, max_pixels=40_000).width == 200
    assert DEFAULT_MAX_PIXELS == 40_000_000


def test_pillow_guard_refuses_even_with_a_generous_limit():
    bomb = _png_header_only(20000, 20000)  # 400 MP: over Pillow's own guard
    with pytest.raises(PhotoRejected) as info:
        open_photo(bomb, max_pixels=10**12)
    assert info.value.code == "too_large"


def test_too_many_bytes_refused(tmp_path):
    data = encode(figure_photo(200, 200), "PNG")
    path = tmp_path / "big.png"
    path.write_bytes(data)
    for source in (data, path, io.BytesIO(data)):
        with pytest.raises(PhotoRejected) as info:
            open_photo(source, max_bytes=len(data) - 1)
        assert info.value.code == "too_large"


def test_truncated_jpeg_refused():
    data = encode(figure_photo(300, 400), "JPEG")
    with pytest.raises(PhotoRejected) as info:
        open_photo(data[: len(data) // 2])
    assert info.value.code == "unreadable"
    assert "incomplete" in info.value.message


def test_truncated_png_refused():
    data = encode(figure_photo(300, 400), "PNG")
    with pytest.raises(PhotoRejected) as info:
        open_photo(data[: len(data) * 2 // 3])
    assert info.value.code == "unreadable"


def test_svg_named_jpg_refused(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    )
    with pytest.raises(PhotoRejected) as info:
        open_photo(path)
    assert info.value.code == "unreadable"
    assert "JPEG, PNG, WebP or HEIC" in info.value.message


@pytest.mark.parametrize(
    "payload",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"GIF89a" + b"\0" * 64,
        b"BM" + b"\0" * 64,
        b"%PDF-1.7\n",
        b"",
        np.random.default_rng(7).bytes(4096),
        b"\xff\xd8\xff" + np.random.default_rng(8).bytes(2048),  # JPEG magic, garbage after
        b"\x89PNG\r\n\x1a\n" + np.random.default_rng(9).bytes(512),
    ],
    ids=["html", "gif", "bmp", "pdf", "empty", "random", "jpeg-garbage", "png-garbage"],
)
def test_other_content_refused_as_unreadable(payload):
    with pytest.raises(PhotoRejected) as info:
        open_photo(payload)
    assert info.value.code == "unreadable"
    assert info.value.message


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(PhotoRejected) as info:
        open_photo(tmp_path / "nope.jpg")
    assert info.value.code == "unreadable"


# --------------------------------------------------------------------------- orientation and metadata


def test_exif_orientation_applied():
    data, image = _jpeg_with_metadata(orientation=6)  # stored 300x400, shown rotated 90 degrees
    photo = open_photo(data)
    assert (photo.original_width, photo.original_height) == (300, 400)
    assert photo.orientation == 6
    assert (photo.width, photo.height) == (400, 300)
    # Orientation 6 means "rotate 90 clockwise to display": the figure's head ends up on the right.
    expected = np.asarray(image.transpose(Image.Transpose.ROTATE_270), float)
    assert np.abs(np.asarray(photo.image, float) - expected).mean() < 6
    stored = reencode(photo)
    back = Image.open(io.BytesIO(stored.data))
    assert back.size == (400, 300)
    assert not back.getexif()  # no orientation tag left to rotate it twice


def test_reencode_drops_gps_exif_xmp_icc_and_comments():
    data, _ = _jpeg_with_metadata()
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(0x8825)  # the test file really carries GPS
    photo = open_photo(data)
    assert {"exif", "gps", "icc_profile", "xmp", "comment"} <= set(photo.had_metadata)

    stored = reencode(photo)
    assert stored.format == "JPEG"
    assert stored.sha256 == hashlib.sha256(stored.data).hexdigest()
    assert stored.sha256 != photo.sha256
    clean = Image.open(io.BytesIO(stored.data))
    assert not clean.getexif()
    assert not clean.getexif().get_ifd(0x8825)
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert not clean.info.get(key), key
    # Byte-level: no APP1 (Exif/XMP), APP2 (ICC) or COM segment, and none of the strings.
    assert b"Exif\0\0" not in stored.data
    assert b"http://ns.adobe.com/xap" not in stored.data and b"xmpmeta" not in stored.data
    assert b"ICC_PROFILE" not in stored.data
    assert b"PhoneModel" not in stored.data and b"secret note" not in stored.data
    markers = _jpeg_markers(stored.data)
    assert not {0xE1, 0xE2, 0xFE} & set(markers)
    # Quality ~92: the picture itself survives.
    assert np.abs(np.asarray(clean, float) - np.asarray(photo.image, float)).mean() < 4


def test_png_text_chunks_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta/>")
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:30, 10:30] = 255
    data = encode(Image.fromarray(rgba, "RGBA"), "PNG", pnginfo=info)
    stored = reencode(open_photo(data))
    assert stored.format == "PNG"
    assert b"home address" not in stored.data and b"xmpmeta" not in stored.data
    assert b"tEXt" not in stored.data and b"iTXt" not in stored.data and b"eXIf" not in stored.data


def test_reencode_max_side():
    stored = reencode(open_photo(encode(figure_photo(300, 400), "PNG")), max_side=200)
    assert (stored.width, stored.height) == (150, 200)


def _jpeg_markers(data: bytes) -> list[int]:
    """Segment markers of a JPEG up to the start of scan."""
    markers, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return markers


# --------------------------------------------------------------------------- unusual but valid files


def test_cmyk_jpeg_becomes_rgb():
    cmyk = figure_photo(120, 160).convert("CMYK")
    photo = open_photo(encode(cmyk, "JPEG"))
    assert photo.image.mode == "RGB" and photo.format == "JPEG"
    assert reencode(photo).format == "JPEG"


def test_16_bit_greyscale_png_scaled_not_clipped():
    ramp = (np.linspace(0, 65535, 200)[None, :] * np.ones((100, 1))).astype(np.uint16)
    photo = open_photo(encode(Image.fromarray(ramp), "PNG"))
    arr = np.asarray(photo.image)
    assert photo.image.mode == "RGB"
    assert arr[:, 0].max() < 5 and arr[:, -1].min() > 250
    assert 100 < arr[0, 100, 0] < 155  # mid-grey stays mid-grey


def test_palette_png_with_transparency_keeps_alpha():
    pal = Image.new("P", (50, 40), 0)
    pal.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    pal.paste(1, (10, 10, 40, 30))
    pal.info["transparency"] = 0
    photo = open_photo(encode(pal, "PNG", transparency=0))
    assert photo.image.mode == "RGBA"
    alpha = np.asarray(photo.image)[:, :, 3]
    assert alpha[0, 0] == 0 and alpha[20, 20] == 255
    assert reencode(photo).format == "PNG"


def test_webp_with_alpha():
    arr = np.zeros((60, 60, 4), np.uint8)
    arr[10:50, 20:40] = (30, 120, 200, 255)
    photo = open_photo(encode(Image.fromarray(arr, "RGBA"), "WEBP", lossless=True))
    assert photo.format == "WEBP" and photo.has_alpha


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_damaged_files_never_crash(fmt):
    """Flipped bytes, cuts and insertions: either a photo comes out or PhotoRejected, nothing else."""
    from kits.photo import assess_photo

    data = encode(figure_photo(64, 80), fmt)
    rng = np.random.default_rng(11)
    outcomes = set()
    for i in range(24):
        damaged = bytearray(data)
        if i % 3 == 0:
            for _ in range(4):
                damaged[rng.integers(16, len(damaged))] = rng.integers(256)
        elif i % 3 == 1:
            damaged = damaged[: rng.integers(16, len(damaged) - 1)]
        else:
            at = rng.integers(16, len(damaged))
            damaged = damaged[:at] + rng.bytes(20) + damaged[at:]
        try:
            photo = open_photo(bytes(damaged))
        except PhotoRejected as exc:
            assert exc.code == "unreadable"
            outcomes.add("refused")
            continue
        assess_photo(photo)
        reencode(photo)
        outcomes.add("decoded")
    assert "refused" in outcomes
