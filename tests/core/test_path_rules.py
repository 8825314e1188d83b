"""The path rules of each platform (core.pathrules): separators, drives and shares, and case."""

from __future__ import annotations

import random

import pytest

from core.pathrules import MACOS, POSIX, WINDOWS, fold_case, platform_rules


def test_each_platform_gets_its_rules() -> None:
    assert (platform_rules("win32"), platform_rules("darwin"), platform_rules("linux")) == (WINDOWS, MACOS, POSIX)


@pytest.mark.parametrize(
    ("path", "folder", "inside"),
    [
        ("C:\\Pictures\\a.jpg", "c:\\pictures\\", True),
        ("C:\\Pictures", "C:/PICTURES", True),
        ("C:\\Pictures Old\\a.jpg", "C:\\Pictures", False),
        ("C:\\Pictures-2\\a.jpg", "C:\\Pictures", False),
        ("D:\\DCIM\\a.jpg", "d:\\", True),
        ("\\\\nas\\photos\\2024\\a.jpg", "\\\\NAS\\Photos\\", True),
        ("\\\\nas\\photos2\\a.jpg", "\\\\nas\\photos", False),
        ("C:\\Fotos\\Été\\a.jpg", "c:\\fotos\\été", True),
    ],
)
def test_windows_rules_ignore_case_and_trailing_separators(path: str, folder: str, inside: bool) -> None:
    assert WINDOWS.is_inside(path, folder) is inside


def test_posix_rules_tell_case_apart_and_take_backslashes_as_names() -> None:
    assert POSIX.is_inside("/photos/a.jpg", "/photos/") and POSIX.is_inside("/a.jpg", "/")
    assert not POSIX.is_inside("/Photos/a.jpg", "/photos")
    assert not POSIX.is_inside("/photos\\a.jpg", "/photos"), "a backslash is part of a POSIX name"
    assert MACOS.is_inside("/Users/me/Pictures/a.jpg", "/users/me/pictures")


def test_case_folding_keeps_names_that_ntfs_tells_apart() -> None:
    assert fold_case("straße") != fold_case("strasse"), "two files on NTFS"
    assert fold_case("KELVIN \u212a") != fold_case("KELVIN K"), "the Kelvin sign is not a K"
    assert fold_case("Été ΣΑΣ") == fold_case("été σας")


def test_the_fold_of_a_prefix_is_a_prefix_of_the_fold() -> None:
    """The catalog finds the files under a folder by the range of keys that start with the folder's key."""
    alphabet = "aZéÉßİıſςΣ\u212a\U00010400\U00010428\\/"
    chooser = random.Random(15)
    for _ in range(2000):
        head = "".join(chooser.choices(alphabet, k=chooser.randint(0, 6)))
        tail = "".join(chooser.choices(alphabet, k=chooser.randint(0, 6)))
        assert fold_case(head + tail) == fold_case(head) + fold_case(tail)
        assert len(fold_case(head)) == len(head)


def test_windows_rules_split_drives_shares_and_folders() -> None:
    assert WINDOWS.parts("C:\\$Recycle.Bin\\S-1-5\\a.jpg") == ["C:", "$Recycle.Bin", "S-1-5", "a.jpg"]
    assert WINDOWS.parts("\\\\nas\\photos/2024\\") == ["nas", "photos", "2024"]
    assert WINDOWS.basename("C:\\Pictures\\") == "Pictures"
    assert WINDOWS.key("C:\\") == WINDOWS.key("c:") and POSIX.key("/") == "/"
