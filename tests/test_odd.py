"""docs/ODD.md: its parameter table is generated from the schema and must equal it."""

from __future__ import annotations

import shutil

import pytest

import sim.show.odd as odd
from sim.ui.cli import main


def test_odd_parameter_table_equals_the_code() -> None:
    assert odd.check(), "docs/ODD.md differs from the schema: run 'jambi-sim odd' and commit it"


def test_every_parameter_is_in_the_odd_once_with_its_source() -> None:
    from sim.scenario import parameter_table

    text = odd.ODD.read_text(encoding="utf-8")
    block = text[text.index(odd.BEGIN):text.index(odd.END)]
    for row in parameter_table():
        lines = [ln for ln in block.splitlines() if ln.startswith(f"| `{row['parameter']}` |")]
        assert len(lines) == 1, row["parameter"]
        assert lines[0].rstrip(" |").endswith(row["source"].replace("|", "/")), row["parameter"]


def test_a_stale_table_is_found_and_regenerated(tmp_path, monkeypatch, capsys) -> None:
    copy = tmp_path / "ODD.md"
    shutil.copy(odd.ODD, copy)
    assert main(["odd", "--check", "--file", str(copy)]) == 0
    # the module reads the schema when called: a changed schema shows at once
    import sim.scenario as scenario

    rows = scenario.parameter_table()
    rows[0] = {**rows[0], "source": "a source that is not in the file"}
    monkeypatch.setattr(scenario, "parameter_table", lambda: rows)
    assert main(["odd", "--check", "--file", str(copy)]) == 1
    assert "differs" in capsys.readouterr().out
    assert main(["odd", "--file", str(copy)]) == 0
    assert "a source that is not in the file" in copy.read_text()
    assert main(["odd", "--check", "--file", str(copy)]) == 0


def test_a_file_without_markers_is_refused(tmp_path, capsys) -> None:
    bad = tmp_path / "ODD.md"
    bad.write_text("# ODD\n\nno table here\n")
    assert main(["odd", "--file", str(bad)]) == 2
    assert "marker" in capsys.readouterr().err
    assert bad.read_text() == "# ODD\n\nno table here\n"
    with pytest.raises(odd.OddError):
        odd.render("no markers")
