"""The package's arrows point one way (README, Layout): doors -> commands -> core -> the leaves
(contract, forking); commands -> book. These tests read every module's imports and fail on an arrow the wrong way."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from arxl.commands.registry import COMMANDS, REFRESH

PACKAGE = Path(__file__).resolve().parents[1] / "arxl"


def modules(folder: str) -> list[Path]:
    root = PACKAGE / folder
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


def imports(path: Path) -> set[str]:
    """Every arxl module ``path`` imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "arxl" or name.startswith("arxl.")}


def offenders(folder: str, allowed: tuple[str, ...]) -> dict[str, set[str]]:
    bad = {}
    for path in modules(folder):
        wrong = {name for name in imports(path) if not name.startswith(allowed)}
        if wrong:
            bad[str(path.relative_to(PACKAGE))] = wrong
    return bad


def test_the_leaves_import_nothing_of_arxl():
    """The contract, and where work may be shared with forked processes."""
    assert imports(PACKAGE / "contract.py") == set()
    assert imports(PACKAGE / "forking.py") == set()


def test_core_imports_only_the_leaves_and_itself():
    assert offenders("core", ("arxl.contract", "arxl.forking", "arxl.core")) == {}


def test_bank_file_parsers_know_nothing_of_the_workbook():
    assert offenders("bankfiles", ("arxl.contract", "arxl.core", "arxl.bankfiles")) == {}


def test_commands_reach_the_workbook_only_through_the_runner():
    """A command is a step over the ledger: only the runner touches the workbook port, and only
    its public face (``Workbook.load`` / ``apply``), never a store."""
    steps = [p for p in modules("commands") if p.name != "runner.py"]
    for path in steps:
        assert not {n for n in imports(path) if n.startswith("arxl.book")}, path.name
    runner = imports(PACKAGE / "commands" / "runner.py")
    assert {n for n in runner if n.startswith("arxl.book")} <= {"arxl.book.port", "arxl.book.store",
                                                                 "arxl.book.documents"}
    tree = ast.parse((PACKAGE / "commands" / "runner.py").read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "book"}
    assert used <= {"load", "apply", "write_exceptions", "path"}


@pytest.mark.parametrize("command", list(COMMANDS.values()), ids=list(COMMANDS))
def test_every_command_is_a_step_over_the_ledger(command):
    assert command.run.__annotations__.get("return") in ("Step", "arxl.core.ledger.Step")
    assert command.label and command.tooltip and command.icon


def test_statement_readers_know_nothing_of_the_workbook():
    assert offenders("statements", ("arxl.contract", "arxl.core", "arxl.bankfiles", "arxl.statements")) == {}


def test_refresh_matches_before_it_posts_and_draws_the_worklist_last():
    """Disputes make their memo requests before Make memos runs; the worklist reads the aging,
    the disputes and the credit review."""
    assert list(REFRESH) == ["match", "post", "disputes", "memos", "aging", "credit", "collections"]
