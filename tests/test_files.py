"""helpers/files.py: atomic writes."""

from __future__ import annotations

from helpers.files import atomic_write_text


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_text(tmp_path / "x.txt", "hello")
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]
