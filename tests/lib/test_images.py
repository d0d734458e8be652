"""sejuk.lib.images: upload sanitising. No database needed.

Every fixture is a real file made with Pillow (or a hand-built PNG header),
and the tests first prove the fixture carries what we want removed.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational

from sejuk.lib.images import (
    CleanImage,
    ImageRejected,
    exif_tags,
    has_gps_exif,
    sanitize_image,
)

RED = (220, 20, 20)
BLUE = (20, 40, 220)
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    'exif:GPSLatitude="6,10.566S" exif:GPSLongitude="106,51.316E"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------


def photo(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> Image.Image:
    """A picture with real content: a gradient, a red block top-left, a blue one bottom-right."""
    w, h = size
    gradient = Image.linear_gradient("L").resize(size)
    im = Image.merge(
        "RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize(size), gradient)
    )
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, w // 8, h // 8), fill=RED)
    draw.rectangle((w - w // 8, h - h // 8, w, h), fill=BLUE)
    draw.ellipse((w // 4, h // 4, w * 3 // 4, h * 3 // 4), outline=(0, 0, 0), width=5)
    return im.convert(mode) if mode != "RGB" else im


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def gps_exif() -> Image.Exif:
    """EXIF with camera make/model, Orientation=6 and a GPS position in Jakarta."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme Optics"
    exif[ExifTags.Base.Model] = "Pocket Spy 3000"
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(6, 1), IFDRational(10, 1), IFDRational(34, 1))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(106, 1), IFDRational(51, 1), IFDRational(19, 1))
    return exif


@pytest.fixture(scope="module")
def gps_jpeg() -> bytes:
    """800×600 JPEG with EXIF (GPS, make, model, orientation), XMP, ICC and a comment."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        photo(),
        "JPEG",
        quality=90,
        exif=gps_exif(),
        xmp=XMP.encode(),
        icc_profile=icc,
        comment=b"shot at Polsek Johar Baru by Aiptu Baktiar",
    )


def decimal_degrees(dms, ref: str) -> float:
    degrees, minutes, seconds = (float(x) for x in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if ref in ("S", "W") else value


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """Every marker segment of a JPEG (through all progressive scans): (marker, payload)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments: list[tuple[int, bytes]] = []
    i = 2
    while i < len(data):
        assert data[i] == 0xFF, f"marker expected at {i}"
        marker = data[i + 1]
        if marker == 0xD9:  # EOI
            return segments
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        segments.append((marker, data[i + 4 : i + 2 + length]))
        i += 2 + length
        if marker == 0xDA:  # SOS: skip entropy-coded data up to the next real marker
            while not (data[i] == 0xFF and data[i + 1] not in (0x00, *range(0xD0, 0xD8))):
                i += 1
    raise AssertionError("JPEG without EOI")


def assert_clean_jpeg(clean: CleanImage) -> None:
    """A valid progressive JPEG whose only APPn segment is the JFIF header."""
    segments = jpeg_segments(clean.data)
    markers = [m for m, _ in segments]
    app = [(m, p[:5]) for m, p in segments if 0xE0 <= m <= 0xEF]
    assert app == [(0xE0, b"JFIF\x00")], app  # no EXIF, XMP, ICC, IPTC...
    assert 0xFE not in markers  # no comment
    assert 0xC2 in markers  # progressive
    with Image.open(io.BytesIO(clean.data)) as im:
        assert im.format == "JPEG"
        assert im.mode == "RGB"
        assert im.size == (clean.width, clean.height)
        im.load()
        for key in ("exif", "xmp", "icc_profile", "comment", "photoshop"):
            assert key not in im.info
    assert not has_gps_exif(clean.data)
    assert exif_tags(clean.data) == {}
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()


def close(pixel, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring width×height RGB with a tiny IDAT (a decompression-bomb header)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------
# Metadata removal
# --------------------------------------------------------------------------


def test_fixture_really_carries_gps_and_metadata(gps_jpeg):
    assert has_gps_exif(gps_jpeg)
    tags = exif_tags(gps_jpeg)
    assert tags["Make"] == "Acme Optics"
    assert tags["Model"] == "Pocket Spy 3000"
    assert tags["Orientation"] == 6
    gps = tags["GPSInfo"]
    assert decimal_degrees(gps["GPSLatitude"], gps["GPSLatitudeRef"]) == pytest.approx(
        -6.176, abs=1e-3
    )
    assert decimal_degrees(gps["GPSLongitude"], gps["GPSLongitudeRef"]) == pytest.approx(
        106.855, abs=1e-3
    )
    apps = {p[:5] for m, p in jpeg_segments(gps_jpeg) if 0xE0 <= m <= 0xEF}
    assert {b"Exif\x00", b"http:", b"ICC_P"} <= apps  # EXIF, XMP and ICC segments
    assert any(m == 0xFE for m, _ in jpeg_segments(gps_jpeg))  # comment
    with Image.open(io.BytesIO(gps_jpeg)) as im:
        assert im.size == (800, 600)


def test_jpeg_with_gps_comes_out_without_any_metadata(gps_jpeg):
    clean = sanitize_image(gps_jpeg)

    assert_clean_jpeg(clean)
    assert clean.original_format == "JPEG"
    for leaked in (b"Acme Optics", b"Pocket Spy", b"Polsek Johar", b"xmpmeta", b"ICC_PROFILE"):
        assert leaked not in clean.data


def test_exif_orientation_is_applied_to_the_pixels(gps_jpeg):
    clean = sanitize_image(gps_jpeg)

    # Orientation 6: the 800×600 stored picture is displayed 600 wide, 800 tall,
    # and what was stored top-left is now top-right.
    assert (clean.width, clean.height) == (600, 800)
    with Image.open(io.BytesIO(clean.data)) as im:
        assert close(im.getpixel((600 - 30, 30)), RED)
        assert close(im.getpixel((30, 800 - 30)), BLUE)
        assert not close(im.getpixel((30, 30)), RED)


def test_png_text_xmp_and_exif_chunks_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("GPS", "-6.1761, 106.8553 (Galur, Johar Baru)")
    info.add_text("Comment", "reported by a citizen")
    info.add_itxt("XML:com.adobe.xmp", XMP)
    original = encode(photo((400, 300)), "PNG", pnginfo=info, exif=gps_exif())
    with Image.open(io.BytesIO(original)) as im:
        im.load()
        assert "106.8553" in im.info["GPS"]
        assert "xmpmeta" in im.info["XML:com.adobe.xmp"]
    assert has_gps_exif(original)

    clean = sanitize_image(original)

    assert_clean_jpeg(clean)
    assert clean.original_format == "PNG"
    assert (clean.width, clean.height) == (300, 400)  # Orientation 6 in eXIf applies too
    for leaked in (b"106.8553", b"Johar Baru", b"citizen", b"xmpmeta"):
        assert leaked not in clean.data


def test_webp_with_exif_and_xmp():
    original = encode(photo((320, 240)), "WEBP", lossless=True, exif=gps_exif(), xmp=XMP.encode())
    assert has_gps_exif(original)

    clean = sanitize_image(original)

    assert_clean_jpeg(clean)
    assert clean.original_format == "WEBP"
    assert (clean.width, clean.height) == (240, 320)


def test_multi_picture_jpeg_keeps_the_first_picture():
    first, second = photo((400, 300)), Image.new("RGB", (400, 300), BLUE)
    original = encode(first, "MPO", save_all=True, append_images=[second], exif=gps_exif())
    with Image.open(io.BytesIO(original)) as im:
        assert im.format == "MPO"

    clean = sanitize_image(original)

    assert_clean_jpeg(clean)
    assert clean.original_format == "JPEG"
    with Image.open(io.BytesIO(clean.data)) as im:
        assert close(im.getpixel((300 - 20, 20)), RED)


# --------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "not an image (looks like a PDF document)",
            id="pdf",
        ),
        pytest.param(
            b"<!DOCTYPE html>\n<html><head><title>photo.jpg</title></head>"
            b"<body><script>alert(document.cookie)</script></body></html>",
            "not an image (looks like a web page)",
            id="html-named-jpg",
        ),
        pytest.param(
            b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
            b'<script>alert(1)</script><rect width="100" height="100"/></svg>',
            "SVG images are not accepted",
            id="svg",
        ),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 40, "ZIP archive", id="zip"),
        pytest.param(b"MZ\x90\x00\x03" + b"\x00" * 60, "Windows program", id="exe"),
        pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "Linux program", id="elf"),
        pytest.param(
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40,
            "HEIC/HEIF photos are not accepted",
            id="heic",
        ),
        pytest.param(
            b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40,
            "looks like a video",
            id="mp4",
        ),
        pytest.param(b"just some notes\nnot a photo\n", "looks like a text file", id="text"),
        pytest.param(
            bytes(range(256)) * 4, "not an image, or not in a format we accept", id="binary"
        ),
    ],
)
def test_non_images_are_rejected_by_content(content, expected):
    with pytest.raises(ImageRejected) as excinfo:
        sanitize_image(content)
    assert expected in str(excinfo.value)
    assert "please send" in str(excinfo.value)


def test_gif_is_refused_as_an_unaccepted_image_format():
    gif = encode(photo((100, 100), "P"), "GIF")
    with pytest.raises(
        ImageRejected, match=r"^GIF images are not accepted; please send a JPEG, PNG or WebP photo$"
    ):
        sanitize_image(gif)


def test_truncated_jpeg_is_rejected(gps_jpeg):
    with pytest.raises(ImageRejected, match="looks like a JPEG image but is damaged or incomplete"):
        sanitize_image(gps_jpeg[: len(gps_jpeg) // 2])


def test_truncated_png_is_rejected():
    png = encode(photo((200, 200)), "PNG")
    with pytest.raises(ImageRejected, match="looks like a PNG image but is damaged or incomplete"):
        sanitize_image(png[: len(png) // 2])


def test_png_with_a_bad_checksum_is_rejected_by_verify():
    png = bytearray(encode(photo((200, 200)), "PNG"))
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4 : idat])[0]
    png[idat + 4 + length] ^= 0xFF  # the IDAT CRC only: the pixels still decode
    with Image.open(io.BytesIO(bytes(png))) as im:
        im.load()  # so only verify() can catch it
    with pytest.raises(ImageRejected, match="damaged or incomplete") as excinfo:
        sanitize_image(bytes(png))
    assert "checksum" in str(excinfo.value.__cause__)


def test_truncated_images_are_not_loaded_even_if_some_code_allows_it(monkeypatch, gps_jpeg):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        sanitize_image(gps_jpeg)


def test_too_many_pixels_is_rejected_from_the_header_before_decoding():
    # 8000×6000 = 48 M pixels, under Pillow's own bomb limit: our check fires.
    # Had the pixels been decoded, the tiny IDAT would have failed as "damaged".
    bomb = png_header_only(8000, 6000)
    assert len(bomb) < 200
    with pytest.raises(ImageRejected) as excinfo:
        sanitize_image(bomb)
    assert str(excinfo.value) == (
        "image has 48 million pixels (8000×6000); the limit is 40 million; "
        "please resize it and try again"
    )


def test_decompression_bomb_header_is_rejected():
    # 20000×20000 = 400 M pixels: Pillow's DecompressionBombError, reported in our words.
    with pytest.raises(
        ImageRejected,
        match=r"^image has 400 million pixels( \(20000×20000\))?; the limit is 40 million",
    ):
        sanitize_image(png_header_only(20_000, 20_000))


def test_max_pixels_is_configurable():
    with pytest.raises(
        ImageRejected, match=r"image has 480,000 pixels \(800×600\); the limit is 100,000"
    ):
        sanitize_image(encode(photo(), "PNG"), max_pixels=100_000)


def test_too_small_image_is_rejected():
    tiny = encode(photo((10, 10)), "PNG")
    with pytest.raises(ImageRejected, match=r"^image too small: 10×10 px, at least 64×64 px$"):
        sanitize_image(tiny)
    with pytest.raises(
        ImageRejected, match=r"^image too small: 800×600 px, at least 1000×1000 px$"
    ):
        sanitize_image(encode(photo(), "JPEG"), min_side=1000)


def test_too_many_bytes_is_rejected_before_decoding(gps_jpeg):
    with pytest.raises(
        ImageRejected, match=r"^image too large: \d+\.\d KB, the limit is 1000 bytes$"
    ):
        sanitize_image(gps_jpeg, max_bytes=1000)
    # Just over the default 10 MB: the header alone is enough, nothing is decoded.
    with pytest.raises(ImageRejected, match=r"^image too large: 10\.1 MB, the limit is 10 MB$"):
        sanitize_image(b"\xff\xd8\xff\xe0" + b"\x00" * (10 * 1024 * 1024))


# --------------------------------------------------------------------------
# Size and colour
# --------------------------------------------------------------------------


def test_large_image_is_downscaled_keeping_the_aspect_ratio():
    clean = sanitize_image(encode(photo((5000, 3000)), "JPEG", quality=75))
    assert (clean.width, clean.height) == (2560, 1536)
    assert_clean_jpeg(clean)


def test_portrait_png_is_downscaled_on_its_long_side():
    clean = sanitize_image(encode(photo((300, 1000)), "PNG"), max_side=500)
    assert (clean.width, clean.height) == (150, 500)


def test_jpeg_downscale_through_the_decoder_draft():
    # 1600×1200 down to 400×300: libjpeg decodes at 1/4 scale directly.
    clean = sanitize_image(encode(photo((1600, 1200)), "JPEG"), max_side=400)
    assert (clean.width, clean.height) == (400, 300)
    with Image.open(io.BytesIO(clean.data)) as im:
        assert close(im.getpixel((10, 10)), RED)
        assert close(im.getpixel((390, 290)), BLUE)


def test_rgba_png_is_flattened_on_white():
    im = photo((200, 200), "RGBA")
    im.paste((0, 0, 0, 0), (100, 0, 200, 100))  # a fully transparent corner
    clean = sanitize_image(encode(im, "PNG"))
    assert_clean_jpeg(clean)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert close(out.getpixel((150, 50)), (255, 255, 255), 8)
        assert close(out.getpixel((10, 10)), RED)


def test_palette_png_with_transparency_is_flattened_on_white():
    im = Image.new("P", (100, 100), 0)
    im.putpalette([0, 0, 0, *RED, *BLUE])
    im.paste(1, (0, 0, 50, 100))
    im.info["transparency"] = 0  # index 0 (the right half) is transparent
    clean = sanitize_image(encode(im, "PNG", transparency=0))
    with Image.open(io.BytesIO(clean.data)) as out:
        assert close(out.getpixel((10, 50)), RED)
        assert close(out.getpixel((90, 50)), (255, 255, 255), 8)


def test_greyscale_alpha_png():
    im = Image.new("LA", (100, 100), (50, 255))
    im.paste((0, 0), (50, 0, 100, 100))
    clean = sanitize_image(encode(im, "PNG"))
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.mode == "RGB"
        assert close(out.getpixel((10, 50)), (50, 50, 50), 8)
        assert close(out.getpixel((90, 50)), (255, 255, 255), 8)


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped():
    im = Image.new("I;16", (100, 100), 0x8000)  # mid grey in 16 bits
    clean = sanitize_image(encode(im, "PNG"))
    with Image.open(io.BytesIO(clean.data)) as out:
        assert close(out.getpixel((50, 50)), (128, 128, 128), 4)


def test_cmyk_jpeg_becomes_rgb():
    cmyk = photo((300, 200)).convert("CMYK")
    original = encode(cmyk, "JPEG")
    with Image.open(io.BytesIO(original)) as im:
        assert im.mode == "CMYK"
    clean = sanitize_image(original)
    assert_clean_jpeg(clean)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert close(out.getpixel((10, 10)), RED)


# --------------------------------------------------------------------------
# Determinism and API details
# --------------------------------------------------------------------------


def test_sanitising_is_deterministic(gps_jpeg):
    first, second = sanitize_image(gps_jpeg), sanitize_image(bytearray(gps_jpeg))
    assert first == second
    assert first.data == second.data
    assert first.sha256 == second.sha256 == hashlib.sha256(first.data).hexdigest()


def test_quality_changes_the_output(gps_jpeg):
    low, high = sanitize_image(gps_jpeg, quality=40), sanitize_image(gps_jpeg, quality=95)
    assert len(low.data) < len(high.data)


def test_clean_image_repr_does_not_dump_the_bytes(gps_jpeg):
    clean = sanitize_image(gps_jpeg)
    assert "data=" not in repr(clean)
    with pytest.raises(AttributeError):
        clean.width = 1  # frozen


def test_rejection_is_a_value_error():
    assert issubclass(ImageRejected, ValueError)


def test_bad_arguments_are_programming_errors():
    with pytest.raises(TypeError):
        sanitize_image("not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quality"):
        sanitize_image(b"\xff\xd8\xff", quality=0)


def test_metadata_helpers_on_non_images():
    assert has_gps_exif(b"") is False
    assert has_gps_exif(b"%PDF-1.7") is False
    assert exif_tags(b"<html></html>") == {}
    assert exif_tags(encode(photo((80, 80)), "PNG")) == {}


def test_polyglot_payload_after_the_image_is_dropped(gps_jpeg):
    # A valid JPEG with a web page (or ZIP) appended: the re-encode keeps pixels only.
    payload = b"<html><script>alert(document.cookie)</script></html>PK\x03\x04"
    clean = sanitize_image(gps_jpeg + payload)
    assert_clean_jpeg(clean)
    assert b"<script>" not in clean.data
    assert clean.data == sanitize_image(gps_jpeg).data
