"""Time process_photo on a 12-megapixel phone photo against Pillow's naive path.

The yardstick decodes the whole JPEG, resizes it to the same longest side with the same filter
and encodes it once at the same quality: no draft, no EXIF orientation, no thumbnail, no
optimized Huffman tables. Run from the repository root:

    .venv/bin/python bench/photo_pipeline.py [--runs 15] [--seed 2024]
"""

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import PIL
import pillow_heif
from PIL import Image, ImageChops, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recallcases.core.photo_pipeline import JPEG_QUALITY, MAX_SIDE, inspect_photo, process_photo

PHOTO_SIZE = (4000, 3000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (default 15)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the photo's noise")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 to give a 95th percentile")

    upload = phone_photo(PHOTO_SIZE, seed=args.seed)
    width, height = PHOTO_SIZE
    print(f"Machine  {platform.platform()} | {cpu_model()} | {os.cpu_count()} cores")
    print(
        f"Software Python {platform.python_version()} | Pillow {PIL.__version__} | "
        f"pillow-heif {pillow_heif.__version__}"
    )
    print(
        f"Input    {width}x{height} JPEG, {len(upload) / 1e6:.1f} MB; output longest side "
        f"{MAX_SIDE}; {args.runs} runs each after one warm-up"
    )
    pipeline_ms, naive_ms = time_alternately(
        lambda: process_photo(upload), lambda: naive_resize(upload), runs=args.runs
    )
    pipeline = (statistics.median(pipeline_ms), p95(pipeline_ms))
    naive = (statistics.median(naive_ms), p95(naive_ms))
    ratio = tuple(ours / theirs for ours, theirs in zip(pipeline, naive, strict=True))
    print()
    print(f"{'':30}{'median ms':>11}{'p95 ms':>9}")
    for label, (median_ms, p95_ms) in (
        ("process_photo", pipeline),
        ("naive decode, resize, encode", naive),
    ):
        print(f"{label:30}{median_ms:11.1f}{p95_ms:9.1f}")
    print(f"{'ratio process_photo / naive':30}{ratio[0]:11.2f}{ratio[1]:9.2f}")
    # The checks a form makes before it decodes (ADR 0009), against the whole pipeline.
    inspect_ms, pipeline_ms = time_alternately(
        lambda: inspect_photo(upload), lambda: process_photo(upload), runs=args.runs
    )
    inspect_median, pipeline_median = statistics.median(inspect_ms), statistics.median(pipeline_ms)
    print(f"{'inspect_photo (header checks)':30}{inspect_median:11.3f}{p95(inspect_ms):9.3f}")
    print(f"{'  process_photo, same run':30}{pipeline_median:11.1f}{p95(pipeline_ms):9.1f}")


def phone_photo(size: tuple[int, int], *, seed: int) -> bytes:
    """Return a JPEG that compresses like a photo: smooth gradients under sensor-like noise."""
    width, height = size
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize(size)
    scene = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.radial_gradient("L").resize(size),
        ),
    )
    # Uniform noise of +-16 levels, softened a little as a camera's processing would.
    noise_planes = [
        Image.frombytes("L", size, rng.randbytes(width * height)).point(lambda value: value // 8)
        for _ in range(3)
    ]
    noise = Image.merge("RGB", noise_planes).filter(ImageFilter.GaussianBlur(0.8))
    photo = ImageChops.add(scene, noise, scale=1.0, offset=-16)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92)
    return out.getvalue()


def naive_resize(upload: bytes) -> bytes:
    """Decode at full size, resize to MAX_SIDE and encode: what a first draft would do."""
    img = Image.open(io.BytesIO(upload))
    img.load()
    scale = MAX_SIDE / max(img.size)
    resized = img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    resized.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def time_alternately(
    first: Callable[[], object], second: Callable[[], object], *, runs: int
) -> tuple[list[float], list[float]]:
    """Return the milliseconds each call took, interleaved so drift hits both alike."""
    first()
    second()
    first_ms, second_ms = [], []
    for _ in range(runs):
        for call, timings in ((first, first_ms), (second, second_ms)):
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
    return first_ms, second_ms


def p95(samples: list[float]) -> float:
    """Return the 95th percentile, interpolated between samples."""
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
