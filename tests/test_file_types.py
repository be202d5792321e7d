"""File types follow the name: an .xlsm holds a VBA project and the AR tab, an .xlsx holds
neither (and the run says what it left out), any other name is refused. Each result is opened
as Excel would: the workbook part's content type, the parts the package holds, its
relationships, and Excel's repair triggers."""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from test_reliability_limits import check_excel_rules

from arxl.book.package import MAIN_MACRO, MAIN_PLAIN, MASTER, VBA_TYPE
from arxl.cli import main

RIBBON = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"


def package(path: Path) -> dict[str, object]:
    """What Excel looks at first: the workbook's content type, the VBA and ribbon parts, and
    whether every part a relationship names is in the package."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        types = z.read("[Content_Types].xml").decode()
        main_type = re.search(r'PartName="/xl/workbook.xml" ContentType="([^"]+)"', types)
        missing = []
        for rels in (n for n in names if n.endswith(".rels")):
            folder = rels.rsplit("_rels/", 1)[0]
            for target, mode in re.findall(r'Target="([^"]+)"(?: TargetMode="(\w+)")?', z.read(rels).decode()):
                if mode != "External":
                    part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                        posixpath.join(folder, target))
                    if part not in names:
                        missing.append(f"{rels} -> {target}")
        return {"main": main_type.group(1) if main_type else None,
                "vba": "xl/vbaProject.bin" in names,
                "vba_type": VBA_TYPE in types,
                "ribbon": "customUI/customUI.xml" in names and RIBBON in z.read("_rels/.rels").decode(),
                "missing": missing}


def test_new_xlsm_has_the_ar_tab_and_macros(tmp_path, capsys):
    path = tmp_path / "x.xlsm"
    assert main(["new", str(path)]) == 0
    found = package(path)
    assert found == {"main": MAIN_MACRO, "vba": True, "vba_type": True, "ribbon": True, "missing": []}
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(MASTER) as master:
        assert z.read("xl/vbaProject.bin") == master.read("xl/vbaProject.bin")
    check_excel_rules(path)
    assert main(["new", str(path)]) == 1  # never overwritten
    assert "exists already" in capsys.readouterr().err


def test_new_xlsx_has_no_macros(tmp_path):
    path = tmp_path / "x.xlsx"
    assert main(["new", str(path)]) == 0
    assert package(path) == {"main": MAIN_PLAIN, "vba": False, "vba_type": False, "ribbon": False, "missing": []}


@pytest.mark.parametrize("name", ["x.xls", "x.csv", "x.xltx", "x"])
def test_other_names_are_refused(tmp_path, capsys, name):
    assert main(["new", str(tmp_path / name)]) == 1
    assert "only .xlsx workbooks" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_xlsm_refreshed_into_xlsx_leaves_the_macros_out_and_says_so(tmp_path, capsys):
    source = tmp_path / "in.xlsm"
    assert main(["new", str(source)]) == 0
    out = tmp_path / "out.xlsx"
    assert main(["--quiet", "refresh", str(source), "--output", str(out)]) == 0
    said = capsys.readouterr().out
    assert "an .xlsx cannot carry the VBA project (macros) and the ribbon tab" in said
    assert package(out) == {"main": MAIN_PLAIN, "vba": False, "vba_type": False, "ribbon": False, "missing": []}
    check_excel_rules(out)
    assert package(source)["vba"]  # the source is untouched


def test_xlsx_refreshed_into_xlsm_gets_the_masters_macros(tmp_path, capsys):
    source = tmp_path / "in.xlsx"
    assert main(["new", str(source)]) == 0
    out = tmp_path / "out.xlsm"
    assert main(["--quiet", "refresh", str(source), "--output", str(out)]) == 0
    assert "arxl's VBA project and AR tab were added" in capsys.readouterr().out
    assert package(out) == {"main": MAIN_MACRO, "vba": True, "vba_type": True, "ribbon": True, "missing": []}
    with zipfile.ZipFile(out) as z:
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
    check_excel_rules(out)


def test_refresh_refuses_an_output_of_another_type(tmp_path, capsys):
    source = tmp_path / "in.xlsx"
    assert main(["new", str(source)]) == 0
    assert main(["--quiet", "refresh", str(source), "--output", str(tmp_path / "out.ods")]) == 1
    assert ".ods is not one of them" in capsys.readouterr().out
    assert not (tmp_path / "out.ods").exists()


def test_demo_xlsm_keeps_its_macros_through_its_refresh(tmp_path):
    path = tmp_path / "d.xlsm"
    assert main(["--quiet", "demo", str(path)]) == 0
    assert package(path) == {"main": MAIN_MACRO, "vba": True, "vba_type": True, "ribbon": True, "missing": []}
    check_excel_rules(path)
