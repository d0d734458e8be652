"""Sanitise untrusted image uploads (officer photos, citizen reports).

``sanitize_image`` takes the raw bytes of an upload and either returns a
fresh JPEG re-encoded from pixels only, or raises ``ImageRejected`` with a
message the uploader can act on. The file is judged by its content alone;
file names and declared content types are never consulted, so pass only the
bytes.

What happens, in order:

1. The magic bytes decide the format. JPEG, PNG and WebP are accepted.
   Everything else is refused, naming what the file looks like when that is
   easy to tell (a PDF, a ZIP archive, a web page, a program...). GIF, BMP,
   TIFF, SVG, HEIC/HEIF and AVIF are refused on purpose: phones and cameras
   produce JPEG (or HEIC, which iOS converts to JPEG when uploading from a
   browser), and a short list keeps the decoders we expose small.
2. The byte limit is checked before anything is decoded.
3. Pillow opens the file lazily (header only) and the declared dimensions
   are checked against ``max_pixels`` and ``min_side`` before a single pixel
   is decoded (decompression-bomb protection). Pillow's own bomb check
   (``Image.DecompressionBombError``, or the warning if the process turns
   warnings into errors) is also reported as ``ImageRejected``.
4. ``Image.verify()`` runs on that first open (PNG chunk checksums...), then
   the file is reopened and fully decoded; a truncated file is rejected, not
   padded with grey (``ImageFile.LOAD_TRUNCATED_IMAGES`` must stay False).
5. The EXIF orientation is applied so the stored pixels are upright, the
   pixels are converted to RGB (transparency flattened onto white, CMYK and
   16-bit greyscale converted) and downscaled so the longest side is at most
   ``max_side`` (LANCZOS).
6. A brand-new image holding only those pixels is encoded as a progressive,
   optimised JPEG. Nothing else survives: no EXIF (so no GPS, camera make or
   serial number), XMP, IPTC, ICC profile, comment or text chunk. Dropping
   the ICC profile means wide-gamut photos are read as sRGB (colours come out
   a little flatter), which is acceptable for evidence and ID photos.

The output is deterministic: the same input and options give the same bytes.
This module has no Django imports.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import ExifTags, Image, ImageFile, ImageOps

__all__ = [
    "CleanImage",
    "ImageRejected",
    "exif_tags",
    "has_gps_exif",
    "sanitize_image",
]

_MIB = 1024 * 1024
_ACCEPTED = "please send a JPEG, PNG or WebP photo"
_WHITE = (255, 255, 255)

# EXIF tags that point to sub-IFDs.
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_INTEROP_IFD = 0xA005


class ImageRejected(ValueError):
    """The upload is not an acceptable image; ``str(exc)`` is for the uploader."""


@dataclass(frozen=True)
class CleanImage:
    """A sanitised image: a JPEG made from pixels only, without any metadata."""

    data: bytes = field(repr=False)
    width: int
    height: int
    sha256: str
    original_format: str  # "JPEG", "PNG" or "WEBP", as detected from the content


# --------------------------------------------------------------------------
# Content sniffing
# --------------------------------------------------------------------------

_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}
_AVIF_BRANDS = {b"avif", b"avis"}

# Images in formats we do not accept: (prefix, name).
_OTHER_IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"\x00\x00\x01\x00", "icon (ICO)"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
)

# Things that are not images at all: (prefix, description).
_NOT_IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"PK\x07\x08", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a program"),
    (b"\x00asm", "a WebAssembly program"),
    (b"#!", "a script"),
    (b"OggS", "an audio file"),
    (b"ID3", "an audio file (MP3)"),
    (b"fLaC", "an audio file (FLAC)"),
    (b"\x1a\x45\xdf\xa3", "a video (WebM/MKV)"),
    (b"SQLite format 3\x00", "a database file"),
)


def _sniff(data: bytes) -> str | None:
    """Return "JPEG", "PNG" or "WEBP" when the content is one of those."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _refusal(data: bytes) -> str:
    """A message for content that is not a JPEG, PNG or WebP image."""
    head = data[:64]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return (
                "HEIC/HEIF photos are not accepted; "
                "please send the photo as JPEG (on an iPhone: Settings > Camera > "
                "Formats > Most Compatible)"
            )
        if brand in _AVIF_BRANDS:
            return f"AVIF images are not accepted; {_ACCEPTED}"
        return f"not an image (looks like a video); {_ACCEPTED}"
    if head[:4] == b"RIFF":
        kind = {b"WAVE": "an audio file (WAV)", b"AVI ": "a video (AVI)"}.get(
            head[8:12], "a RIFF file"
        )
        return f"not an image (looks like {kind}); {_ACCEPTED}"
    for prefix, name in _OTHER_IMAGES:
        if head.startswith(prefix):
            return f"{name} images are not accepted; {_ACCEPTED}"
    for prefix, description in _NOT_IMAGES:
        if head.startswith(prefix):
            return f"not an image (looks like {description}); {_ACCEPTED}"

    text = _as_text(data[:4096])
    if text is not None:
        lowered = text.lstrip().lower()
        if "<svg" in lowered:
            return f"SVG images are not accepted; {_ACCEPTED}"
        if lowered.startswith(("<!doctype html", "<html", "<head", "<body")) or (
            "<html" in lowered
        ):
            return f"not an image (looks like a web page); {_ACCEPTED}"
        if lowered.startswith("<?xml"):
            return f"not an image (looks like an XML document); {_ACCEPTED}"
        return f"not an image (looks like a text file); {_ACCEPTED}"
    return f"not an image, or not in a format we accept; {_ACCEPTED}"


def _as_text(head: bytes) -> str | None:
    """The head decoded as text, or None when it looks binary."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            head, chosen = head[len(bom) :], encoding
            break
    else:
        chosen = "utf-8"
    # Cutting at 4096 bytes may split a multi-byte character: ignore the tail.
    text = head.decode(chosen, errors="ignore")
    if not text:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable / len(text) > 0.95 else None


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------


def _tenths(value: int, unit: int, *, up: bool) -> str:
    """value/unit with one decimal (rounded up or down), "10" rather than "10.0"."""
    tenths = -(-value * 10 // unit) if up else value * 10 // unit
    whole, frac = divmod(tenths, 10)
    return f"{whole}" if frac == 0 else f"{whole}.{frac}"


def _bytes_text(n: int, *, up: bool) -> str:
    if n >= _MIB:
        return f"{_tenths(n, _MIB, up=up)} MB"
    if n >= 1024:
        return f"{_tenths(n, 1024, up=up)} KB"
    return f"{n} bytes"


def _pixels_text(pixels: int, limit: int) -> tuple[str, str]:
    if limit < 1_000_000:
        return f"{pixels:,}", f"{limit:,}"
    return (
        f"{_tenths(pixels, 1_000_000, up=True)} million",
        f"{_tenths(limit, 1_000_000, up=False)} million",
    )


def _too_many_pixels(pixels: int, limit: int, size: tuple[int, int] | None) -> ImageRejected:
    have, allowed = _pixels_text(pixels, limit)
    dims = f" ({size[0]}×{size[1]})" if size else ""
    return ImageRejected(
        f"image has {have} pixels{dims}; the limit is {allowed}; please resize it and try again"
    )


def _bomb(exc: Exception, limit: int) -> ImageRejected:
    """Pillow refused the header as a decompression bomb; say so in our words."""
    match = re.search(r"\((\d+) pixels\)", str(exc))
    if match:
        return _too_many_pixels(int(match.group(1)), limit, None)
    return ImageRejected(
        f"image has too many pixels; the limit is {_pixels_text(limit, limit)[1]}; "
        "please resize it and try again"
    )


def _damaged(kind: str) -> ImageRejected:
    name = "WebP" if kind == "WEBP" else kind
    return ImageRejected(
        f"the file looks like a {name} image but is damaged or incomplete; "
        "please send it again or export it again from the phone or camera"
    )


# --------------------------------------------------------------------------
# Sanitising
# --------------------------------------------------------------------------


def sanitize_image(
    data: bytes,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    min_side: int = 64,
    max_side: int = 2560,
    quality: int = 85,
) -> CleanImage:
    """Validate an uploaded image by its content and re-encode it as a clean JPEG.

    Raises ``ImageRejected`` (a ``ValueError``) with a message for the uploader
    when the content is not an acceptable image. Raises ``ValueError`` for bad
    options, ``TypeError`` when ``data`` is not bytes, and ``RuntimeError`` when
    some code has set ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` (truncated
    uploads would then be accepted half-grey).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if max_bytes < 1 or max_pixels < 1 or min_side < 1 or max_side < 1:
        raise ValueError("max_bytes, max_pixels, min_side and max_side must be positive")
    if not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100")
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True; refusing to sanitise uploads "
            "because truncated images would be accepted"
        )
    data = bytes(data)

    # 1. Content type, by magic bytes only.
    if not data:
        raise ImageRejected(f"the file is empty; {_ACCEPTED}")
    kind = _sniff(data)
    if kind is None:
        raise ImageRejected(_refusal(data))

    # 2. Size, before any decoding.
    if len(data) > max_bytes:
        raise ImageRejected(
            f"image too large: {_bytes_text(len(data), up=True)}, "
            f"the limit is {_bytes_text(max_bytes, up=False)}"
        )

    # 3. Header only: dimensions, before any pixel is decoded; then verify().
    try:
        with _open(data, kind) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise _too_many_pixels(width * height, max_pixels, (width, height))
            if min(width, height) < min_side:
                raise ImageRejected(
                    f"image too small: {width}×{height} px, at least {min_side}×{min_side} px"
                )
            probe.verify()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(exc, max_pixels) from exc
    except MemoryError:
        raise
    except Exception as exc:  # Pillow raises many types on malformed input
        raise _damaged(kind) from exc

    # 4. Decode for real, from a fresh open (verify() leaves the image unusable).
    target = _fit(width, height, max_side)
    try:
        with _open(data, kind) as im:
            if (im.width, im.height) != (width, height):
                raise _damaged(kind)
            if kind == "JPEG" and target != (width, height):
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still
                # leaves at least the target size: less memory, much faster.
                im.draft(None, target)
            im.load()
            pixels = _upright(im)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(exc, max_pixels) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise _damaged(kind) from exc

    # 5. Pixels to RGB, then downscale.
    pixels = _to_rgb(pixels)
    size = _fit(pixels.width, pixels.height, max_side)
    if size != pixels.size:
        pixels = pixels.resize(size, Image.Resampling.LANCZOS)

    # 6. A brand-new image: pixels only, nothing from im.info comes along
    # (Pillow's JPEG writer would otherwise copy e.g. the comment).
    clean = Image.frombytes("RGB", pixels.size, pixels.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    encoded = out.getvalue()
    return CleanImage(
        data=encoded,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
        original_format=kind,
    )


def _open(data: bytes, kind: str) -> ImageFile.ImageFile:
    """Open lazily with only the plugin matching the sniffed content."""
    im = Image.open(io.BytesIO(data), formats=[kind])
    # A JPEG with several pictures (common from phones) opens as MPO.
    if im.format not in ({"JPEG", "MPO"} if kind == "JPEG" else {kind}):
        im.close()
        raise _damaged(kind)
    return im


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longest side is at most max_side."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    if width >= height:
        return max_side, max(1, round(height * max_side / width))
    return max(1, round(width * max_side / height)), max_side


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF (or XMP) orientation; unreadable metadata means upright."""
    try:
        return ImageOps.exif_transpose(im)
    except MemoryError:
        raise
    except Exception:
        return im.copy()


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any decoded mode to RGB; transparency is flattened onto white."""
    if im.mode.startswith("I;16") or im.mode == "I":
        # 16-bit greyscale: a plain convert("L") would clip everything above 255.
        im = im.convert("I").point(lambda v: v / 257).convert("L")
    if im.mode == "P" or "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "RGBa", "LA", "La", "PA"):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if im.mode != "RGB":
        return im.convert("RGB")
    return im


# --------------------------------------------------------------------------
# Metadata helpers (tests and audits)
# --------------------------------------------------------------------------


def _read_exif(data: bytes) -> Image.Exif | None:
    """The EXIF block of any image Pillow can open, or None."""
    try:
        with Image.open(io.BytesIO(bytes(data))) as im:
            if not im.info.get("exif") and im.width * im.height > 40_000_000:
                # PNG keeps eXIf after the pixels sometimes; finding it means
                # decoding them, which we do not do for huge images.
                return None
            exif = im.getexif()
            return exif if len(exif) else None
    except MemoryError:
        raise
    except Exception:
        return None


def has_gps_exif(data: bytes) -> bool:
    """True when the image has an EXIF GPS IFD (tag 0x8825) with any content."""
    exif = _read_exif(data)
    if exif is None:
        return False
    try:
        return bool(exif.get_ifd(_GPS_IFD))
    except Exception:
        return False


def exif_tags(data: bytes) -> dict[str, Any]:
    """EXIF tags by name, with the Exif, GPS and Interop IFDs as nested dicts.

    Example: ``{"Make": "Acme", "Orientation": 6, "GPSInfo": {"GPSLatitudeRef":
    "S", "GPSLatitude": (6.0, 10.0, 34.0), ...}}``. Unknown tags are named by
    their number (``"0x9999"``). Returns ``{}`` when there is no EXIF or the
    data cannot be read.
    """
    exif = _read_exif(data)
    if exif is None:
        return {}
    result: dict[str, Any] = {}
    for tag, value in exif.items():
        name = ExifTags.TAGS.get(tag, f"0x{tag:04X}")
        if tag in (_EXIF_IFD, _GPS_IFD, _INTEROP_IFD):
            try:
                ifd = exif.get_ifd(tag)
            except Exception:
                ifd = {}
            names = ExifTags.GPSTAGS if tag == _GPS_IFD else ExifTags.TAGS
            result[name] = {names.get(t, f"0x{t:04X}"): v for t, v in ifd.items()}
        else:
            result[name] = value
    return result
