"""The photo inside a frame: a screenshot's app or browser chrome, padding to another aspect, a solid border, a
caption bar. A copy-detection model embeds the frame with the photo, so a framed copy scores low against its photo
and high against other framed copies with the same chrome (SSCD-fast on benchmarks/tiers_bench.py's tuning half:
screenshots 0.02-0.6 against their photo, median 0.15, while screenshots of different photos reach 0.69).

`content_box` finds the photo on a small copy: a line (row or column) is flat when at least FLAT_SHARE of its
pixels are within FLAT_TOLERANCE of its median colour and half of them within SMOOTH; flat lines are frame when they
lie in a block of one colour (split where neighbours step by more than STEP; a block spreading more than DRIFT is
content). The content is the longest run of lines that are not frame, provided the other such runs are thin together
(THIN_RUN: the text of a toolbar, a status bar's icons), else the whole image. Rows then columns, twice (a column is
judged on the rows kept). Frames of less than MIN_TRIM on every side are ignored, so a photo's own dark edge or a
small rotation's corners leave its vector as it was.

Evidence (same half, sscd-fast, each file embedded with its frame cut away): screenshots score 0.65-0.99 against
their photo (median 0.86), padding 0.45-0.99, borders 0.93-0.99, caption bars 0.93-0.99; every copy scores at
least 0.35 against its photo where 9 of 12 screenshots scored less before, and the best pair of different photos
falls from 0.69 to 0.36. On the test half (thresholds calibrated on the tuning half), duplicates precision /
recall go from 0.990 / 0.903 to 0.997 / 0.945 with sscd and from 0.984 / 0.898 to 0.997 / 0.945 with sscd-fast,
screenshots from 0.50 to 1.00, and no pair of different photos is grouped any more (29 and 53 were, all through
screenshot or padding chrome).

SMOOTH, STEP and DRIFT ("frames-v2"): a photo's own flat edge is no frame, since cutting it cuts the photo and not
its crops (crops fell from 1.00 to 0.75 with the first cut: the plasma wallpapers' fog and sky, a carpet's dim
band). Frames are drawn in one colour: on the tuning half their lines deviate 0-1 from their colour (median), a
carpet or a dark floor 4-7, and a band of fog drifts 16-18 as a block where a frame's block stays within 2 (the
steps of a resize between two bands split them). With these, 8 of the tuning half's 303 unframed files are cut
(42 before) and 54 of its 61 framed copies (55: a blurred padding is no longer cut). Test half, thresholds
calibrated on the tuning half: sscd-fast duplicates 0.990 / 0.906 -> 0.998 / 0.958 (crop 0.67 -> 0.83, 27 pairs
of different photos grouped -> 0), sscd 0.997 / 0.958 -> 0.997 / 0.951 at its new threshold (0.407 -> 0.453;
at any one threshold of 0.45-0.60 sscd's recall rises by 0.006).

Known weakness (tests/ui/sscd_fixtures.py's synthetic photos, blurred shapes on a plain ground): a plain ground with
grain is content, while a small recompressed copy of it has lost the grain and its ground is cut as frame, so the
two are cut differently (with grain sigma 8, a 0.5x q70 copy scores 0.79 against its photo; unrelated ones 0.67). Real
photos on the yardstick and benchmarks/keep_bench.py showed no such loss (chat-app and tiny copies 1.00).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

DETECT_SIDE = 192  # the frame is found on a copy this large
FLAT_TOLERANCE = 12.0  # of 255, per channel
FLAT_SHARE = 0.9
THIN_RUN = 0.12  # of the side: a run of busy lines this thin, apart from the photo, is chrome
MIN_TRIM = 0.03  # of the side: a frame must be at least this deep on some side
MIN_CONTENT = 16  # px of the small copy: a content box smaller than this is no photo
SMOOTH = 2.0  # of 255: a flat line's median deviation from its colour at most this (no texture, no grain)
STEP = 3.0  # of 255, per channel: neighbouring flat lines whose colours differ more start another block
DRIFT = 6.0  # of 255, per channel: flat lines whose colour drifts further as a block are content

Box = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the width and height


def _flat_lines(pixels: np.ndarray, axis: int) -> np.ndarray:
    """Per row (axis 0) or column (axis 1): whether it is frame. A line is flat when at least FLAT_SHARE of its pixels
    are within FLAT_TOLERANCE of its median colour and half of them within SMOOTH (no grain, no texture); a flat
    line is frame when it lies in a block of one colour (`_solid`). `pixels` are integers (int16): medians are
    taken doubled, so every comparison is exact in integers (~17 % faster than floats, the same lines)."""
    lines = pixels if axis == 0 else pixels.transpose(1, 0, 2)
    if lines.shape[1] == 0:
        return np.ones(lines.shape[0], dtype=bool)
    median2 = _doubled_median(lines)  # (lines, 1, 3): twice the median colour
    deviation2 = np.abs(2 * lines - median2).max(axis=2)  # twice each pixel's deviation from it
    near = (deviation2 <= 2 * FLAT_TOLERANCE).mean(axis=1) >= FLAT_SHARE
    flat: np.ndarray = near & (_doubled_median(deviation2)[:, 0] <= 4 * SMOOTH)
    frame: np.ndarray = flat & _solid(median2[:, 0, :] / 2.0, flat)
    return frame


def _doubled_median(values: np.ndarray) -> np.ndarray:
    """Twice the median along axis 1 (kept as a length-1 axis): the sum of the two middle values, an integer."""
    count = values.shape[1]
    low, high = (count - 1) // 2, count // 2
    middle = np.partition(values, (low, high), axis=1)
    return middle[:, low : low + 1] + middle[:, high : high + 1]


def _solid(colours: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Per line: whether it lies in a block of one colour. Runs of flat lines are split where neighbours' colours
    step by more than STEP (a status bar against a toolbar, a border against the photo); a block whose colours
    spread more than DRIFT is a smooth gradient (fog, a sky, a wallpaper's soft half): content, no frame."""
    solid = np.zeros(len(flat), dtype=bool)
    steps = np.abs(np.diff(colours, axis=0)).max(axis=1) > STEP
    start = 0
    for end in range(1, len(flat) + 1):
        if end < len(flat) and flat[end] == flat[start] and not steps[end - 1]:
            continue
        if flat[start]:
            block = colours[start:end]
            solid[start:end] = (block.max(axis=0) - block.min(axis=0)).max() <= DRIFT
        start = end
    return solid


def _content_run(flat: np.ndarray) -> tuple[int, int]:
    """(start, end) of the longest run of busy lines when the other busy runs are thin together; else all the lines.
    Together, not each: a sparse photo (stars on black) is many thin busy runs, and cutting it to one of them would
    cut each copy of it elsewhere (two frames of the Hubble deep field once scored 0.98 that way)."""
    edges = np.diff(np.concatenate(([1], flat.astype(np.int8), [1])))
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    if not len(starts):
        return 0, len(flat)
    lengths = ends - starts
    best = int(np.argmax(lengths))
    if lengths.sum() - lengths[best] > THIN_RUN * len(flat):
        return 0, len(flat)
    return int(starts[best]), int(ends[best])


def content_box(image: Image.Image) -> Box | None:
    """Where the photo lies inside its frame, or None when there is no frame worth cutting."""
    small = image.convert("RGB")
    small.thumbnail((DETECT_SIDE, DETECT_SIDE), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.int16)
    height, width = pixels.shape[:2]
    top, bottom, left, right = 0, height, 0, width
    for _ in range(2):
        start, end = _content_run(_flat_lines(pixels[top:bottom, left:right], 0))
        top, bottom = top + start, top + end
        start, end = _content_run(_flat_lines(pixels[top:bottom, left:right], 1))
        left, right = left + start, left + end
        if (top, bottom, left, right) == (0, height, 0, width):
            break  # nothing cut (most photos): a second pass would judge the same lines the same way
    if bottom - top < MIN_CONTENT or right - left < MIN_CONTENT:
        return None
    box = (left / width, top / height, right / width, bottom / height)
    if max(box[0], box[1], 1 - box[2], 1 - box[3]) < MIN_TRIM:
        return None
    return box


def without_frame(image: Image.Image) -> Image.Image:
    """The image with its frame cut away (itself when it has none)."""
    box = content_box(image)
    if box is None:
        return image
    width, height = image.size
    left, top, right, bottom = box
    return image.crop((round(left * width), round(top * height), round(right * width), round(bottom * height)))
