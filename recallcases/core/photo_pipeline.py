"""Turn a consumer's uploaded photo into a metadata-free JPEG and a thumbnail.

Photos come from anyone on the internet, so the format is decided from the content (never the
file name or Content-Type), size and pixel limits are enforced before any pixel is decoded, and
only the pixels are re-encoded: EXIF (with GPS), XMP, ICC profiles, comments, text chunks and any
bytes smuggled around the image are left behind.

The module is pure: bytes in, bytes out; no models, storage or settings. Messages are lazy, so
nothing here needs Django settings unless a message is rendered.
"""

import hashlib
import io
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()  # Pillow then reads .heic and .heif as format "HEIF"

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB
# The most photos one form takes (a recall's proof items); the public body limit has room for them.
MAX_PHOTOS_PER_FORM = 3
MAX_PIXELS = 50_000_000  # 50 megapixels
# Stored image: longest side at most this. About 2000 px, not more: a 12-megapixel phone JPEG
# (4000 or 4032 px wide) is then decoded at half scale (JPEG draft) and kept as decoded, a quarter
# of the CPU of a full decode and resample (ADR 0009), and 3 megapixels still show a serial label
# and a cut cord sharply.
MAX_SIDE = 2048
# A JPEG is decoded at the smallest scale still at least this share of max_side: 4000 and 4032 px
# halve to 2000 and 2016, under 2048, so they need no resampling at all (a 2016 to 2000 px Lanczos
# resample cost as much as the half-scale decode itself).
_DRAFT_SHARE = 0.97
THUMBNAIL_SIDE = 320  # thumbnail: longest side at most this
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

JPEG_QUALITY = 85
_READ_CHUNK_BYTES = 64 * 1024
# Pillow reports a JPEG carrying extra frames (a phone's depth map or preview) as "MPO".
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Pillow's convert() clips these to 255 instead of scaling them down to 8 bits.
_SIXTEEN_BIT_GREY_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_RESAMPLING = Image.Resampling.LANCZOS
# Shrink by whole factors first, then resample the last bit: much faster and, per Pillow's
# documentation, indistinguishable from resampling the full image from 3.0 upwards.
_REDUCING_GAP = 3.0


class PhotoRejected(ValueError):
    """Raised with a message fit to show the consumer.

    ``code`` is one of "too_large", "too_many_pixels", "unsupported_format", "unreadable" or
    "empty"; ``message`` is a lazy translatable string, and ``str(exc)`` renders it.
    """

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo re-encoded as JPEG without any metadata, with its thumbnail."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str  # one of ALLOWED_FORMATS, decided from the content
    source_sha256: str  # of the uploaded bytes, to spot one photo reused across claims
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class PhotoHeader:
    """What a photo's header says, checked: the format decided from the content, and its size."""

    source_format: str  # one of ALLOWED_FORMATS
    width: int
    height: int
    size_bytes: int


def inspect_photo(
    source: bytes | BinaryIO,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> PhotoHeader:
    """Return what the photo's header says, or raise PhotoRejected, without decoding a pixel.

    The checks process_photo makes before it decodes (bytes, format, pixel count), for under a
    millisecond: a form checks them with its other fields, and decodes only a form that passed.
    """
    data = _read_upload(source, max_bytes=max_bytes)
    try:
        with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as img:
            source_format = _FORMAT_ALIASES.get(img.format, img.format)
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except Image.UnidentifiedImageError:
        raise _unsupported_format() from None
    except MemoryError:
        raise
    except Exception as error:
        raise _unreadable() from error
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return PhotoHeader(
        source_format=source_format, width=width, height=height, size_bytes=len(data)
    )


def process_photo(
    source: bytes | BinaryIO,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
    thumbnail_side: int = THUMBNAIL_SIDE,
) -> ProcessedPhoto:
    """Return the photo upright, downscaled and re-encoded as JPEG, or raise PhotoRejected.

    ``source`` is bytes or a binary file-like object such as a Django UploadedFile; a file is
    read from its start, in chunks, and refused as soon as more than ``max_bytes`` are read.
    """
    data = _read_upload(source, max_bytes=max_bytes)
    picture, source_format = _decode_upright_rgb(data, max_pixels=max_pixels, max_side=max_side)
    image = _shrink_to_fit(picture, max_side)
    thumbnail = _shrink_to_fit(image, thumbnail_side)
    return ProcessedPhoto(
        image=_encode_jpeg(image),
        thumbnail=_encode_jpeg(thumbnail),
        width=image.width,
        height=image.height,
        source_format=source_format,
        source_sha256=hashlib.sha256(data).hexdigest(),
    )


def _read_upload(source: bytes | BinaryIO, *, max_bytes: int) -> bytes:
    """Return the uploaded bytes if there are some and no more than max_bytes."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        data = _read_at_most(source, max_bytes + 1)
    if not data:
        raise PhotoRejected(
            "empty", _("This file is empty. Please choose your photo again and upload it.")
        )
    if len(data) > max_bytes:
        raise PhotoRejected(
            "too_large",
            format_lazy(
                _(
                    "This photo is too large: the limit is {limit} MB. "
                    "Please upload a smaller photo."
                ),
                limit=f"{max_bytes / (1024 * 1024):g}",
            ),
        )
    return data


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Return the stream's bytes from its start, stopping once limit bytes have been read."""
    seekable = getattr(stream, "seekable", None)
    if seekable is not None and seekable():
        stream.seek(0)  # form validation may already have read the upload
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(_READ_CHUNK_BYTES, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _decode_upright_rgb(data: bytes, *, max_pixels: int, max_side: int) -> tuple[Image.Image, str]:
    """Return the decoded photo, upright, in RGB without metadata, and its source format.

    JPEGs are decoded at the smallest scale that still covers _DRAFT_SHARE of max_side (what is
    over max_side is shrunk afterwards). Raises PhotoRejected before decoding pixels when the
    header declares more than max_pixels.
    """
    try:
        img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        source_format = _FORMAT_ALIASES.get(img.format, img.format)
        if img.width * img.height > max_pixels:
            raise _too_many_pixels(max_pixels)
        if source_format == "JPEG":
            # The bound is square, so the target needs no swapping when EXIF orientation 5-8
            # later turns the stored width into the height.
            img.draft("RGB", _size_to_fit(img.size, int(max_side * _DRAFT_SHARE)))
        img.load()  # decode here, so that a broken file fails inside this try
        ImageOps.exif_transpose(img, in_place=True)  # HEIF arrives upright, orientation reset
        picture = _to_rgb(img)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own looser guard; the warning only gets here when warnings are errors.
        raise _too_many_pixels(max_pixels) from None
    except Image.UnidentifiedImageError:
        raise _unsupported_format() from None
    except MemoryError:
        raise  # the server is short of memory: not the consumer's fault
    except Exception as error:
        # Decoders fail on broken or hostile files in many ways (OSError, ValueError,
        # SyntaxError, struct.error...); every one of them means the same to the consumer.
        raise _unreadable() from error
    # Pillow's JPEG writer falls back to some info keys (the comment); carry nothing over.
    picture.info = {}
    return picture, source_format


def _unsupported_format() -> PhotoRejected:
    return PhotoRejected(
        "unsupported_format",
        _("This file is not a photo we can read. Please upload a JPEG, PNG, WebP or HEIC photo."),
    )


def _unreadable() -> PhotoRejected:
    return PhotoRejected(
        "unreadable",
        _(
            "We could not read this photo; the file may be damaged or incomplete. "
            "Please take the photo again and upload it."
        ),
    )


def _too_many_pixels(max_pixels: int) -> PhotoRejected:
    return PhotoRejected(
        "too_many_pixels",
        format_lazy(
            _(
                "This photo has too many pixels: the limit is {limit} megapixels. "
                "Please upload a smaller photo or take it at a lower resolution."
            ),
            limit=f"{max_pixels / 1_000_000:g}",
        ),
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    """Return the image in 8-bit RGB, with any transparency flattened onto white."""
    if img.mode in _SIXTEEN_BIT_GREY_MODES:
        img = img.point(lambda value: value / 256).convert("L")
    if img.has_transparency_data:
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        # Pasting through the alpha channel keeps a single extra copy of a photo that can be
        # 50 megapixels, where alpha_composite() would make three.
        flattened = Image.new("RGB", rgba.size, "white")
        flattened.paste(rgba, mask=rgba)
        return flattened
    return img if img.mode == "RGB" else img.convert("RGB")


def _size_to_fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """Return size scaled down, keeping its proportions, so its longest side is <= max_side."""
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink_to_fit(img: Image.Image, max_side: int) -> Image.Image:
    """Return the image downscaled so its longest side is <= max_side; never upscaled."""
    size = _size_to_fit(img.size, max_side)
    if size == img.size:
        return img
    return img.resize(size, _RESAMPLING, reducing_gap=_REDUCING_GAP)


def _encode_jpeg(img: Image.Image) -> bytes:
    """Return the image as a JPEG holding pixels only (no EXIF, XMP, ICC or comment)."""
    out = io.BytesIO()
    # Not progressive: on a 2560-pixel photo it took four times as long to encode as baseline
    # with optimized Huffman tables, and came out no smaller.
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
