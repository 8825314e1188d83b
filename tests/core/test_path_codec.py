"""The store's path codec (core.store.pathcodec): every name the OS can give, stored as text SQLite can hold."""

from __future__ import annotations

import random

import pytest

from core.store.pathcodec import display, from_codec1, from_db, to_db

ODD = [
    "/photos/caf\udce9.jpg",  # a byte that is not UTF-8, as POSIX gives it
    "C:\\Fotos\\\ud800\udfff.jpg",  # unpaired UTF-16 surrogates, as Windows may give them
    "/photos/\U0010ff80.jpg",  # the characters the first codec took for bytes
    "/photos/\U0010ffff\U0010f000.jpg",  # the escape character, and what follows it once stored
    "/photos/\udcff\U0010ffff\udc80\U0010ff80",
]


@pytest.mark.parametrize("path", ODD)
def test_every_path_round_trips_as_text_sqlite_can_hold(path: str) -> None:
    stored = to_db(path)
    stored.encode("utf-8")
    assert from_db(stored) == path


def test_the_codec_stores_each_path_apart_and_prefixes_as_prefixes() -> None:
    pieces = ["a", "/", "é", "\udce9", "\ud800", "\U0010ff80", "\U0010ffff", "\U0010f4e9", "\U0001f600"]
    chooser = random.Random(16)
    stored: dict[str, str] = {}
    for _ in range(5000):
        head = "".join(chooser.choices(pieces, k=chooser.randint(0, 5)))
        tail = "".join(chooser.choices(pieces, k=chooser.randint(0, 5)))
        assert to_db(head + tail) == to_db(head) + to_db(tail)
        assert stored.setdefault(to_db(head), head) == head, "two paths stored alike"


def test_names_without_surrogates_or_the_escape_are_stored_as_they_are() -> None:
    for path in ["/photos/plain.jpg", "/photos/café \U0001f600.jpg", "/photos/\U0010ff80\U0010fffe.jpg"]:
        assert to_db(path) == path


def test_what_the_first_codec_stored_reads_as_a_byte() -> None:
    assert from_db(from_codec1("/photos/caf\U0010ffe9.jpg")) == "/photos/caf\udce9.jpg"
    assert from_codec1("/photos/plain.jpg") == "/photos/plain.jpg"


def test_a_stored_escape_with_nothing_valid_after_it_is_refused() -> None:
    with pytest.raises(ValueError, match="not a stored path"):
        from_db("/photos/\U0010ffffx.jpg")


def test_display_shows_each_undecodable_byte_or_lone_surrogate_as_a_replacement_character() -> None:
    assert display("caf\udce9 \ud800.jpg") == "caf\ufffd \ufffd.jpg"
