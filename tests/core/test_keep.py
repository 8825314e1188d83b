"""Keep rules on the groups real folders hold: camera originals, their exports, conversions, upscales and chat
copies, identical backups; each suggestion with its reason."""

from __future__ import annotations

import itertools

from core.entities import FileInfo
from core.tiers.keep import DEFAULT_RULES, KeepRule, choose_keep, parse_rules, suggest_keep
from core.tiers.keep_paths import path_look

SHUTTER = "2019-06-02T10:11:12.34"
NIKON = "NIKON D7500"
_ids = itertools.count(1)


def photo(
    path: str,
    size: tuple[int, int] = (5568, 3712),
    nbytes: int = 9_000_000,
    fmt: str = "JPEG",
    camera: str | None = None,
    captured_at: str | None = None,
) -> FileInfo:
    file_id = next(_ids)
    return FileInfo(file_id, path, nbytes, 0, f"hash{file_id}", *size, fmt, captured_at=captured_at, camera=camera)


def camera_photo(path: str, **args: object) -> FileInfo:
    return photo(path, camera=NIKON, captured_at=SHUTTER, **args)  # type: ignore[arg-type]


def kept(files: list[FileInfo], rules: tuple[KeepRule, ...] = DEFAULT_RULES, protected: tuple[str, ...] = ()) -> str:
    [file_id] = suggest_keep(files, rules, protected)
    return next(f.path for f in files if f.id == file_id)


def test_the_testers_edited_copies_group_keeps_the_camera_original() -> None:
    """DSC_2181.JPG, its 2048 px export (EXIF kept), its captioned copy and a larger PNG without EXIF."""
    original = camera_photo("/p/DCIM/100NIKON/DSC_2181.JPG")
    group = [
        camera_photo("/p/Export/DSC_2181_2048.jpg", size=(2048, 1365), nbytes=1_200_000),
        camera_photo("/p/DCIM/100NIKON/DSC_2181 captioned.jpg", nbytes=9_100_000),
        photo("/p/DCIM/100NIKON/DSC_2181.png", fmt="PNG", nbytes=40_000_000),
        original,
    ]
    choice = choose_keep(group)
    assert choice.keep == {original.id}
    assert choice.reason.startswith("camera original with capture date; the PNG is a conversion without metadata")
    assert "DSC_2181_2048.jpg is smaller (2048×1365)" in choice.reason
    assert "DSC_2181 captioned.jpg has an edited copy's name" in choice.reason


def test_identical_copies_keep_the_camera_date_folder_over_the_backup() -> None:
    backup = camera_photo("/p/Backup/Camera 2015/x.jpg")
    dated = camera_photo("/p/Camera/2015/2015-03-31/x.jpg")
    choice = choose_keep([backup, dated])
    assert choice.keep == {dated.id}
    assert choice.reason == "in a camera folder (Camera/2015/2015-03-31); the other is in Backup/"


def test_a_backup_of_the_original_beats_an_edit_that_kept_its_exif() -> None:
    """Seen on the camera-like bench: the copy tier showed the original's bytes by their Backup/ path, and a
    captioned copy (full size, EXIF kept) won on its camera folder, or on a few more bytes."""
    backup = camera_photo("/p/Backup/Camera 2015/DSC_0224.JPG")
    for edit in ("/p/DCIM/100NIKON/DSC_0224 captioned.jpg", "/p/Edited/DSC_0224.jpg"):
        captioned = camera_photo(edit, nbytes=9_100_000)
        assert kept([captioned, backup]) == backup.path, edit
    reason = choose_keep([camera_photo("/p/DCIM/100NIKON/DSC_0224 captioned.jpg"), backup]).reason
    assert reason == "the camera's own file name; DSC_0224 captioned.jpg has an edited copy's name"


def test_a_date_folder_is_original_looking_not_a_numbered_copy() -> None:
    for folder in ("2015-03-31", "2015_03_31", "20150331", "2015-03-31 Birthday"):
        look = path_look(f"/p/{folder}/x.jpg")
        assert look.copy_like == () and look.original_like == (("date folder", folder),)
    assert path_look("/p/2015/03/x.jpg").original_like == (("date folder", "2015"), ("date folder", "03"))
    for folder in ("Backup", "Export", "WhatsApp Images", "Telegram Desktop", "Takeout", "to sort", "Downloads"):
        assert path_look(f"/p/{folder}/x.jpg").copy_like == (("folder", folder),)
    assert path_look("/p/x (1).jpg").copy_like == (("name", "x (1).jpg"),)


def test_real_resolution_beats_an_upscale_whatever_the_rule_order() -> None:
    original = camera_photo("/p/Pictures/20150331_080000.jpg", size=(3000, 2000), nbytes=3_000_000)
    upscale = photo("/p/Pictures/20150331_080000-big.jpg", size=(4500, 3000), nbytes=7_000_000)
    for rules in (DEFAULT_RULES, (KeepRule.RESOLUTION,), (KeepRule.FILE_SIZE,)):
        assert kept([upscale, original], rules) == original.path
    reason = choose_keep([upscale, original], (KeepRule.RESOLUTION, KeepRule.PATH)).reason
    assert reason == (
        "largest resolution (3000×2000); 20150331_080000-big.jpg is an upscale (4500×3000) without camera metadata"
    )


def test_a_lossless_conversion_is_no_better_than_its_jpeg_original() -> None:
    original = camera_photo("/p/DCIM/100NIKON/DSC_0001.JPG")
    png = photo("/p/Converted/DSC_0001.png", fmt="PNG", nbytes=40_000_000)
    for rules in (DEFAULT_RULES, (KeepRule.FORMAT,), (KeepRule.FILE_SIZE,), (KeepRule.RESOLUTION, KeepRule.FORMAT)):
        assert kept([png, original], rules) == original.path, rules
    reason = choose_keep([png, original], (KeepRule.FORMAT, KeepRule.PATH)).reason
    assert reason == "best format (JPEG); the PNG is a re-encode of the JPEG original, no better than it"


def test_without_any_camera_metadata_a_png_still_wins_on_format() -> None:
    """The cap applies to copies of a camera original only: two stripped files compete as they are."""
    assert kept([photo("/p/a.jpg"), photo("/p/b.png", fmt="PNG")], (KeepRule.FORMAT,)) == "/p/b.png"


def test_chat_app_copies_lose_to_the_original() -> None:
    original = camera_photo("/p/Camera/2015/2015-03-31/PXL_20150331_080000123.jpg", size=(4000, 3000))
    chats = [
        photo("/p/WhatsApp Images/IMG-20150331-WA0001.jpg", size=(1600, 1200), nbytes=300_000),
        photo("/p/Telegram Desktop/photo_12.jpg", size=(1600, 1200), nbytes=310_000),
    ]
    choice = choose_keep([*chats, original])
    assert choice.keep == {original.id}
    assert choice.reason == (
        "camera original with capture date; photo_12.jpg and IMG-20150331-WA0001.jpg have no capture date or camera"
    )
    # Without the metadata rule the folders decide, and say so.
    path_first = choose_keep([*chats, original], (KeepRule.PATH, KeepRule.RESOLUTION))
    assert path_first.keep == {original.id}
    assert path_first.reason == (
        "in a camera folder (Camera/2015/2015-03-31); the others are in Telegram Desktop/ and WhatsApp Images/"
    )


def test_protected_folders_still_win() -> None:
    original = camera_photo("/p/DCIM/100NIKON/DSC_0002.JPG")
    chat = photo("/p/WhatsApp Images/IMG-20190602-WA0002.jpg", size=(1600, 1067), nbytes=200_000)
    choice = choose_keep([original, chat], protected=("/p/WhatsApp Images",))
    assert choice.keep == {chat.id} and choice.reason == "in a protected folder"


def test_every_suggestion_carries_a_reason_even_a_tie() -> None:
    a, b = photo("/p/a/x.jpg"), photo("/p/b/x.jpg")
    choice = choose_keep([b, a])
    assert choice.keep == {a.id} and choice.reason == "alike on every rule; kept the first by path"
    assert choose_keep([]).reason == ""


def test_stored_rules_still_read_and_the_former_default_becomes_todays() -> None:
    assert parse_rules("resolution,file_size,format,capture_time,path") == DEFAULT_RULES
    custom = parse_rules("file_size,path")
    assert custom[:2] == (KeepRule.FILE_SIZE, KeepRule.PATH) and set(custom) == set(KeepRule)
    assert parse_rules("format,some_future_rule")[0] == KeepRule.FORMAT
