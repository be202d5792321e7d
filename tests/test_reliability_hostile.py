"""Reliability: hostile files. A workbook that would unpack to far more than it holds, XML
entities wherever they hide, and the checks that must not refuse an honest workbook."""
from __future__ import annotations

import zipfile

import pytest
from reliability import small_demo

from arxl.book.files import open_book
from arxl.book.store import BookError
from arxl.cli import process


def _rezip(src, dst, replace=None, add=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)


@pytest.mark.attack("hostile files")
def test_many_parts_each_just_under_the_part_check_add_up_to_a_refusal(make_book, tmp_path):
    """The attack that got through: eight parts of 9.9 MB of blanks, a small file, 79 MB unpacked."""
    path = make_book()
    bomb = tmp_path / "bomb.xlsx"
    padding = b"<a>" + b" " * (9_900_000) + b"</a>"
    _rezip(path, bomb, add={f"xl/media/part{i}.xml": padding for i in range(8)})
    assert bomb.stat().st_size < 400_000
    with pytest.raises(BookError, match=r"would unpack to 7\d MB from \d+ KB .*possible zip bomb"):
        open_book(bomb)
    result, summary = process(bomb, ["aging"], as_of=None, output=None)
    assert result is None and "possible zip bomb" in summary


@pytest.mark.attack("hostile files")
def test_an_honest_workbook_is_far_from_the_limits(tmp_path):
    path = small_demo(tmp_path)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    ratio = sum(i.file_size for i in infos) / sum(i.compress_size for i in infos)
    assert ratio < 20  # the limit is 100
    open_book(path)


def _with_part(make_book, tmp_path, part, transform):
    path = make_book()
    with zipfile.ZipFile(path) as z:
        data = z.read(part)
    evil = tmp_path / "evil.xlsx"
    _rezip(path, evil, replace={part: transform(data)})
    return evil


ENTITIES = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'


def _body(data: bytes) -> bytes:
    """A part without its XML declaration."""
    return data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data


@pytest.mark.attack("hostile files")
@pytest.mark.parametrize("where", ["after a long comment", "in UTF-16", "deep in a sheet"])
def test_xml_entities_are_refused_wherever_they_sit(make_book, tmp_path, where):
    if where == "after a long comment":  # a DOCTYPE past the first 2,048 bytes, still before the root
        evil = _with_part(make_book, tmp_path, "xl/workbook.xml", lambda d: (
            b'<?xml version="1.0"?><!--' + b" padding " * 1000 + b"-->" + ENTITIES + _body(d)))
    elif where == "in UTF-16":
        evil = _with_part(make_book, tmp_path, "xl/workbook.xml", lambda d: (
            b'<?xml version="1.0" encoding="UTF-16"?>' + ENTITIES + _body(d)).decode("utf-8").encode("utf-16"))
    else:
        evil = _with_part(make_book, tmp_path, "xl/worksheets/sheet3.xml", lambda d: d.replace(
            b"</worksheet>", b"<!-- " + b"x" * 5000 + b" -->" + b"<!ENTITY x SYSTEM 'file:///etc/passwd'></worksheet>"))
    with pytest.raises(BookError, match="declares XML entities"):
        open_book(evil)


@pytest.mark.attack("hostile files")
def test_a_workbook_marked_read_only_is_never_replaced(make_book):
    import os

    path = make_book()
    os.chmod(path, 0o444)
    result, summary = process(path, ["aging"], as_of=None, output=None)
    assert result is None and "marked read-only" in summary
