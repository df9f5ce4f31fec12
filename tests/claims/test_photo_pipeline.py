"""Tests for the claim photo pipeline: uploads in, metadata-free JPEGs out.

Every image is made in memory with Pillow; none of these tests needs a database.
"""

import hashlib
import io
import os
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngInfo

from recallcases.core.photo_pipeline import (
    MAX_UPLOAD_BYTES,
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
RED = (230, 20, 20)
BLUE = (20, 40, 220)
WHITE = (255, 255, 255)


@pytest.fixture
def english():
    """Render lazy messages in English, whatever the default language."""
    with translation.override("en"):
        yield


# --- helpers -------------------------------------------------------------------------------


def encode(img: Image.Image, image_format: str, **save_options) -> bytes:
    out = io.BytesIO()
    img.save(out, image_format, **save_options)
    return out.getvalue()


def open_jpeg(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    return img


def assert_colour_close(actual, expected, tolerance=30):
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (
        f"{actual} is not close to {expected}"
    )


def metadata_segments(jpeg: bytes) -> list[str]:
    """Return the names of the JPEG header segments that can carry metadata (APP1-15, COM)."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    found = []
    position = 2
    while True:
        marker = jpeg[position + 1]
        if marker == 0xDA:  # start of scan: the header is over
            return found
        if 0xE1 <= marker <= 0xEF:
            found.append(f"APP{marker - 0xE0}")
        elif marker == 0xFE:
            found.append("COM")
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_declaring_size(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header declares width x height but whose pixel data is garbage.

    Decoding it fails at once, so a rejection other than "unreadable" proves that the pipeline
    refused it from the header alone, without allocating the declared pixels.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"not zlib data")
        + png_chunk(b"IEND", b"")
    )


def png_text(key: str, value: bytes) -> PngInfo:
    info = PngInfo()
    info.add_text(key, value.decode())
    return info


def noisy_image(size=(320, 240), seed=7) -> Image.Image:
    """Return an RGB image of random pixels, so that any truncation cuts into pixel data."""
    width, height = size
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(width * height * 3))


def exif_with(**tags) -> Image.Exif:
    exif = Image.Exif()
    for name, value in tags.items():
        exif[ExifTags.Base[name]] = value
    return exif


def marked_landscape(size=(200, 100)) -> Image.Image:
    """Return a blue landscape image with a red square in its top-left corner."""
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, 40, 40))
    return img


class EndlessUpload(io.RawIOBase):
    """A file that never ends, counting the bytes read from it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = bytes(len(buffer))
        self.bytes_read += len(buffer)
        return len(buffer)


# --- what comes out ------------------------------------------------------------------------


def test_process_photo_returns_jpeg_image_and_thumbnail():
    # given
    upload = encode(marked_landscape(), "PNG")

    # when
    photo = process_photo(upload)

    # then
    assert isinstance(photo, ProcessedPhoto)
    assert photo.content_type == "image/jpeg"
    assert photo.source_format == "PNG"
    assert open_jpeg(photo.image).size == (photo.width, photo.height) == (200, 100)
    assert open_jpeg(photo.thumbnail).size == (200, 100)


@pytest.mark.parametrize(
    ("orientation", "upright_size", "marker_position"),
    [
        (1, (200, 100), (20, 20)),  # as stored: top left
        (2, (200, 100), (180, 20)),  # mirrored: top right
        (3, (200, 100), (180, 80)),  # upside down: bottom right
        (4, (200, 100), (20, 80)),  # flipped: bottom left
        (5, (100, 200), (20, 20)),  # transposed: top left
        (6, (100, 200), (80, 20)),  # turned 90 degrees clockwise: top right
        (7, (100, 200), (80, 180)),  # transversed: bottom right
        (8, (100, 200), (20, 180)),  # turned 90 degrees anticlockwise: bottom left
    ],
)
def test_process_photo_turns_jpeg_upright_from_exif_orientation(
    orientation, upright_size, marker_position
):
    # given a landscape JPEG with a red top-left corner, and the orientation a phone would write
    upload = encode(marked_landscape(), "JPEG", exif=exif_with(Orientation=orientation))

    # when
    photo = process_photo(upload)

    # then the red corner is where someone holding the phone saw it
    image = open_jpeg(photo.image)
    assert image.size == (photo.width, photo.height) == upright_size
    assert_colour_close(image.getpixel(marker_position), RED)
    opposite = (upright_size[0] - 1 - marker_position[0], upright_size[1] - 1 - marker_position[1])
    assert_colour_close(image.getpixel(opposite), BLUE)


@pytest.mark.parametrize(("orientation", "upright_size"), [(1, (2048, 1365)), (6, (1365, 2048))])
def test_process_photo_downscales_large_jpeg_to_max_side(orientation, upright_size):
    # given a 24-megapixel photo, stored landscape
    upload = encode(
        Image.new("RGB", (6000, 4000), BLUE), "JPEG", exif=exif_with(Orientation=orientation)
    )

    # when
    photo = process_photo(upload)

    # then
    assert open_jpeg(photo.image).size == (photo.width, photo.height) == upright_size
    thumbnail_size = tuple(round(side * 320 / 2048) for side in upright_size)
    assert open_jpeg(photo.thumbnail).size == thumbnail_size


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize(
    ("photo_size", "decoded_size", "stored_side"),
    [
        ((6000, 4000), (3000, 2000), 2048),  # 24 megapixels: halved, then shrunk
        ((4032, 3024), (2016, 1512), 2016),  # a 12-megapixel phone: halved, kept as decoded
        ((4000, 3000), (2000, 1500), 2000),
    ],
)
def test_process_photo_decodes_large_jpeg_at_reduced_scale(
    monkeypatch, orientation, photo_size, decoded_size, stored_side
):
    # given a spy on the size Pillow will decode a JPEG at once draft() was asked
    decoded_sizes = []
    original_draft = JpegImageFile.draft

    def draft_and_record(self, mode, size):
        result = original_draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", draft_and_record)
    upload = encode(
        Image.new("RGB", photo_size, BLUE), "JPEG", exif=exif_with(Orientation=orientation)
    )

    # when
    photo = process_photo(upload)

    # then it was decoded at half scale, no smaller than the stored image
    assert decoded_sizes == [decoded_size]
    assert max(photo.width, photo.height) == stored_side


def test_process_photo_never_upscales_small_photo():
    # given
    upload = encode(marked_landscape((120, 80)), "JPEG")

    # when
    photo = process_photo(upload)

    # then
    assert (photo.width, photo.height) == (120, 80)
    assert open_jpeg(photo.thumbnail).size == (120, 80)


def test_process_photo_honours_custom_side_limits():
    # when
    photo = process_photo(encode(marked_landscape(), "PNG"), max_side=100, thumbnail_side=10)

    # then
    assert open_jpeg(photo.image).size == (photo.width, photo.height) == (100, 50)
    assert open_jpeg(photo.thumbnail).size == (10, 5)


def test_process_photo_hashes_uploaded_bytes_not_output():
    # given
    upload = encode(marked_landscape(), "JPEG")

    # when
    photo = process_photo(upload)

    # then
    assert photo.source_sha256 == hashlib.sha256(upload).hexdigest()
    assert photo.source_sha256 != hashlib.sha256(photo.image).hexdigest()


# --- metadata and smuggled content ---------------------------------------------------------


def test_process_photo_strips_gps_exif_from_jpeg():
    # given a phone photo that gives away where the consumer lives
    exif = exif_with(Make="PhoneMakerCo", Model="Model X")
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 30.0, 17.25)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (73.0, 34.0, 2.5)
    upload = encode(marked_landscape(), "JPEG", exif=exif)
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    # when
    photo = process_photo(upload)

    # then
    for output in (photo.image, photo.thumbnail):
        assert not open_jpeg(output).getexif()
        assert b"Exif" not in output
        assert b"GPS" not in output
        assert b"PhoneMakerCo" not in output
        assert metadata_segments(output) == []


def test_process_photo_strips_xmp_icc_profile_and_comment_from_jpeg():
    # given
    upload = encode(
        marked_landscape(),
        "JPEG",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">owner: Jane Doe</x:xmpmeta>',
        icc_profile=b"made-up ICC profile",
        comment=b"taken at 12 Main Street",
    )
    assert set(metadata_segments(upload)) == {"APP1", "APP2", "COM"}

    # when
    photo = process_photo(upload)

    # then
    for output in (photo.image, photo.thumbnail):
        assert metadata_segments(output) == []
        assert not {"xmp", "icc_profile", "comment", "exif"} & open_jpeg(output).info.keys()
        for leak in (b"Jane Doe", b"ICC profile", b"Main Street"):
            assert leak not in output


def test_process_photo_drops_html_hidden_in_png_text_chunk_and_after_end():
    # given a PNG polyglot: a script in a text chunk (Pillow's JPEG writer would copy a
    # "comment" into the output) and an HTML page appended after the PNG's end
    script = b"<html><script>alert(1)</script></html>"
    png = encode(marked_landscape(), "PNG", pnginfo=png_text("comment", script))
    upload = png + script
    assert upload.count(b"<script>") == 2

    # when
    photo = process_photo(upload)

    # then
    assert photo.source_format == "PNG"
    for output in (photo.image, photo.thumbnail):
        assert output.startswith(b"\xff\xd8")
        assert b"<script" not in output
        assert b"alert(1)" not in output
        assert metadata_segments(output) == []


# --- accepted formats and modes ------------------------------------------------------------


def test_process_photo_accepts_heic_and_turns_it_upright_once():
    # given an iPhone-style HEIC, rotated and geotagged
    exif = exif_with(Orientation=6)
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (45.0, 30.0, 17.25)
    # as bytes: pillow-heif turns only EXIF bytes into the HEIF rotation (irot) phones write
    upload = encode(marked_landscape(), "HEIF", exif=exif.tobytes(), quality=90)
    assert upload[4:12] == b"ftypheic"

    # when
    photo = process_photo(SimpleUploadedFile("IMG_0042.HEIC", upload, "image/heic"))

    # then it is a JPEG, turned once (not twice) and without the location
    assert photo.source_format == "HEIF"
    image = open_jpeg(photo.image)
    assert image.size == (100, 200)
    assert_colour_close(image.getpixel((80, 20)), RED)
    assert_colour_close(image.getpixel((20, 180)), BLUE)
    assert metadata_segments(photo.image) == []
    assert metadata_segments(photo.thumbnail) == []


def test_process_photo_accepts_webp():
    # when
    photo = process_photo(encode(marked_landscape(), "WEBP", quality=90))

    # then
    assert photo.source_format == "WEBP"
    image = open_jpeg(photo.image)
    assert_colour_close(image.getpixel((20, 20)), RED)
    assert_colour_close(image.getpixel((180, 80)), BLUE)


def test_process_photo_accepts_jpeg_with_extra_frames_as_jpeg():
    # given a JPEG with a second frame, as phones store depth maps (Pillow calls it MPO)
    depth_map = Image.new("RGB", (50, 25), "white")
    upload = encode(marked_landscape(), "MPO", save_all=True, append_images=[depth_map])
    assert Image.open(io.BytesIO(upload)).format == "MPO"

    # when
    photo = process_photo(upload)

    # then only the photo itself is kept
    assert photo.source_format == "JPEG"
    assert (photo.width, photo.height) == (200, 100)
    assert metadata_segments(photo.image) == []


def _transparent_left_half(mode: str) -> Image.Image:
    """Return a 64x32 image, left half fully transparent black, right half opaque blue."""
    if mode == "P":
        img = Image.new("P", (64, 32), 1)
        img.putpalette([0, 0, 0, *BLUE])
        img.paste(0, (0, 0, 32, 32))
        img.info["transparency"] = 0
        return img
    if mode == "LA":
        img = Image.new("LA", (64, 32), (60, 255))
        img.paste((0, 0), (0, 0, 32, 32))
        return img
    img = Image.new("RGBA", (64, 32), (*BLUE, 255))
    img.paste((0, 0, 0, 0), (0, 0, 32, 32))
    return img


@pytest.mark.parametrize(
    ("image_format", "mode", "opaque_colour"),
    [
        ("PNG", "RGBA", BLUE),
        ("PNG", "LA", (60, 60, 60)),
        ("PNG", "P", BLUE),
        ("WEBP", "RGBA", BLUE),
    ],
)
def test_process_photo_flattens_transparency_onto_white(image_format, mode, opaque_colour):
    # given a photo whose transparent half hides black pixels
    upload = encode(_transparent_left_half(mode), image_format)

    # when
    photo = process_photo(upload)

    # then the transparent half shows white, not black
    image = open_jpeg(photo.image)
    assert image.mode == "RGB"
    assert_colour_close(image.getpixel((8, 16)), WHITE)
    assert_colour_close(image.getpixel((56, 16)), opaque_colour)


def test_process_photo_blends_half_transparent_pixels_with_white():
    # given black at half opacity
    upload = encode(Image.new("RGBA", (64, 32), (0, 0, 0, 128)), "PNG")

    # when
    photo = process_photo(upload)

    # then it shows as mid grey
    assert_colour_close(open_jpeg(photo.image).getpixel((32, 16)), (127, 127, 127), tolerance=8)


@pytest.mark.parametrize(
    ("source", "image_format", "expected_colour"),
    [
        (Image.new("CMYK", (64, 32), (0, 255, 255, 0)), "JPEG", (255, 0, 0)),
        (Image.new("L", (64, 32), 100), "JPEG", (100, 100, 100)),
        (Image.new("I;16", (64, 32), 32768), "PNG", (128, 128, 128)),  # 16-bit mid grey
        (Image.new("1", (64, 32), 1), "PNG", WHITE),
        (Image.new("RGB", (64, 32), BLUE).quantize(4), "PNG", BLUE),
    ],
    ids=["cmyk-jpeg", "greyscale-jpeg", "16-bit-greyscale-png", "1-bit-png", "palette-png"],
)
def test_process_photo_converts_other_colour_modes_to_rgb(source, image_format, expected_colour):
    # when
    photo = process_photo(encode(source, image_format))

    # then
    image = open_jpeg(photo.image)
    assert image.mode == "RGB"
    assert_colour_close(image.getpixel((32, 16)), expected_colour)


# --- reading the upload --------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [
        io.BytesIO,
        lambda data: SimpleUploadedFile("label.png", data, "image/png"),
        bytearray,
        memoryview,
    ],
    ids=["BytesIO", "SimpleUploadedFile", "bytearray", "memoryview"],
)
def test_process_photo_reads_file_like_objects_and_byte_buffers(wrap):
    # given
    upload = encode(marked_landscape(), "PNG")

    # when
    photo = process_photo(wrap(upload))

    # then
    assert photo == process_photo(upload)
    assert photo.source_sha256 == hashlib.sha256(upload).hexdigest()


def test_process_photo_reads_upload_from_its_start_after_it_was_read():
    # given an upload that form validation already read to the end
    uploaded_file = SimpleUploadedFile("label.png", encode(marked_landscape(), "PNG"))
    uploaded_file.read()

    # when
    photo = process_photo(uploaded_file)

    # then
    assert (photo.width, photo.height) == (200, 100)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload", [b"", SimpleUploadedFile("photo.jpg", b"")], ids=["bytes", "uploaded-file"]
)
def test_process_photo_refuses_empty_upload(upload):
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    assert rejected.value.code == "empty"


def test_process_photo_refuses_upload_over_10_mb(english):
    # given a JPEG start padded to one byte over the limit
    upload = encode(marked_landscape(), "JPEG")
    upload += bytes(MAX_UPLOAD_BYTES + 1 - len(upload))

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "too_large"
    assert "10 MB" in str(rejected.value)


def test_process_photo_honours_exact_byte_limit():
    # given
    upload = encode(marked_landscape(), "JPEG")

    # when / then
    assert process_photo(upload, max_bytes=len(upload)).width == 200
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload, max_bytes=len(upload) - 1)
    assert rejected.value.code == "too_large"


def test_process_photo_stops_reading_endless_upload_just_past_limit():
    # given
    upload = EndlessUpload()

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "too_large"
    assert MAX_UPLOAD_BYTES < upload.bytes_read <= MAX_UPLOAD_BYTES + 64 * 1024


def test_process_photo_refuses_text_file_named_like_a_jpeg():
    # given
    upload = SimpleUploadedFile("photo.jpg", b"Serial number: SPK-1234\n", "image/jpeg")

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "unsupported_format"


def test_process_photo_refuses_gif():
    # given
    upload = encode(marked_landscape(), "GIF")

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "unsupported_format"


@pytest.mark.parametrize(
    "upload",
    [
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        encode(marked_landscape(), "BMP"),
        encode(marked_landscape(), "TIFF"),
        b"\xff\xd8\xff",  # the first bytes of a JPEG and nothing else
    ],
    ids=["pdf", "svg", "html", "bmp", "tiff", "jpeg-signature-only"],
)
def test_process_photo_refuses_content_that_is_not_an_allowed_photo(upload):
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    assert rejected.value.code == "unsupported_format"


@pytest.mark.parametrize(
    "upload",
    [
        encode(noisy_image(), "JPEG")[:4000],
        encode(noisy_image(), "PNG")[:4000],
        encode(noisy_image(), "WEBP")[:4000],
        png_declaring_size(100, 100),
    ],
    ids=["truncated-jpeg", "truncated-png", "truncated-webp", "png-with-garbage-pixel-data"],
)
def test_process_photo_refuses_damaged_photo_as_unreadable(upload):
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    assert rejected.value.code == "unreadable"


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (10_000, 5_001)],
    ids=["400-mp-bomb-beyond-pillow-limit", "just-over-50-mp"],
)
def test_process_photo_refuses_png_declaring_too_many_pixels_before_decoding(
    english, width, height
):
    # given a few bytes declaring a huge image (decoding it would fail as "unreadable")
    upload = png_declaring_size(width, height)
    assert len(upload) < 100

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "too_many_pixels"
    assert "50 megapixels" in str(rejected.value)


def test_process_photo_refuses_jpeg_declaring_too_many_pixels():
    # given a small JPEG whose frame header is rewritten to declare 8000x7000 pixels
    upload = bytearray(encode(marked_landscape(), "JPEG"))
    frame_header = upload.index(b"\xff\xc0")
    upload[frame_header + 5 : frame_header + 9] = struct.pack(">HH", 7000, 8000)
    assert Image.open(io.BytesIO(upload)).size == (8000, 7000)

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(bytes(upload))

    # then
    assert rejected.value.code == "too_many_pixels"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_process_photo_turns_pillow_bomb_warning_raised_as_error_into_rejection():
    # given 90 megapixels: Pillow warns, and warnings are errors here as they may be in CI
    upload = png_declaring_size(10_000, 9_000)

    # when
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload)

    # then
    assert rejected.value.code == "too_many_pixels"


def test_process_photo_honours_exact_pixel_limit():
    # given a 200x100 photo
    upload = encode(marked_landscape(), "PNG")

    # when / then
    assert process_photo(upload, max_pixels=20_000).width == 200
    with pytest.raises(PhotoRejected) as rejected:
        process_photo(upload, max_pixels=19_999)
    assert rejected.value.code == "too_many_pixels"


# --- purity --------------------------------------------------------------------------------


def test_process_photo_needs_no_django_settings():
    # given a process where any access to Django settings would fail
    script = (
        "import io\n"
        "from PIL import Image\n"
        "from recallcases.core.photo_pipeline import PhotoRejected, process_photo\n"
        "buffer = io.BytesIO()\n"
        "Image.new('RGB', (64, 48), 'red').save(buffer, 'PNG')\n"
        "photo = process_photo(buffer.getvalue())\n"
        "codes = []\n"
        "for upload in (b'', b'plain text'):\n"
        "    try:\n"
        "        process_photo(upload)\n"
        "    except PhotoRejected as rejected:\n"
        "        codes.append(rejected.code)\n"
        "print(photo.width, photo.height, *codes)\n"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "no_such_settings_module"}

    # when
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["64", "48", "empty", "unsupported_format"]
