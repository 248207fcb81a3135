"""helpers/formats.py, the text-classification reader (TSV, CSV, JSONL): it keeps the data as
written (csv-module quoting, rows split on tabs and newlines only) or stops with one line naming
file, line and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.corpora import DATA, FEEDBACK_LABELS
from helpers.formats import ConllFormatError, TextFormatError, read_text_classification

# Characters that str.splitlines() treats as line breaks, besides \n and \r.
SPLITLINES_ONLY = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def error_of(path: Path) -> TextFormatError:
    with pytest.raises(TextFormatError) as info:
        read_text_classification(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:{info.value.line}: ")
    return info.value


# ------------------------------------------------------------------ CSV: the csv module's quoting
def test_csv_keeps_newlines_inside_quoted_fields(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"first line\nsecond line",1\n"crlf\r\nkept",0\nok,0\n')
    ds = read_text_classification(path)
    assert ds["text"] == ["first line\nsecond line", "crlf\r\nkept", "ok"]
    assert ds["label"] == [1, 0, 0]


def test_csv_line_numbers_count_physical_lines(tmp_path):
    # header on line 1, a three-line quoted text on lines 2-4, the bad label on line 5
    path = write(tmp_path, "a.csv", 'text,label\n"one\ntwo\nthree",1\nbad,7\n')
    err = error_of(path)
    assert err.line == 5 and "label '7'" in str(err)


def test_csv_error_on_a_row_after_a_multiline_row_names_its_first_line(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"one\ntwo",1\n"three\nfour",1,extra\n')
    err = error_of(path)
    assert err.line == 4 and "expected 2 columns" in str(err)


@pytest.mark.parametrize("text,line,message", [
    ('text,label\n"abc"def,1\n', 2, "closing quote"),              # csv's lenient mode glues "abcdef"
    ('text,label\nok,0\n"never closed,1\nmore,0\n', 3, "never closed"),
    ("text,label\nbare\rreturn,1\n", 2, "carriage return"),
])
def test_csv_malformed_quoting_is_an_error_not_a_guess(tmp_path, text, line, message):
    err = error_of(write(tmp_path, "a.csv", text))
    assert err.line == line and message in str(err)


def test_csv_doubled_quotes_and_commas_are_read_by_csv_rules(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"He said ""hi"", then left",1\n')
    assert read_text_classification(path)["text"] == ['He said "hi", then left']


# ------------------------------------------------------------------ TSV: tabs and newlines only
@pytest.mark.parametrize("char", SPLITLINES_ONLY, ids=[f"U+{ord(c):04X}" for c in SPLITLINES_ONLY])
@pytest.mark.parametrize("name,sep", [("a.tsv", "\t"), ("a.csv", ",")])
def test_a_text_with_a_unicode_line_separator_stays_one_row(tmp_path, char, name, sep):
    path = write(tmp_path, name, f"text{sep}label\nbefore{char}after{sep}1\nnext{sep}0\n")
    ds = read_text_classification(path)
    assert ds["text"] == [f"before{char}after", "next"] and ds["label"] == [1, 0]


def test_tsv_keeps_quotes_as_written_and_reads_crlf(tmp_path):
    # the course's TSVs are written with no quoting: a quote is part of the text
    path = write(tmp_path, "a.tsv", 'text\tlabel\r\n"quoted" start\t1\r\nit said "2 tablets"\t0\r\n')
    ds = read_text_classification(path)
    assert ds["text"] == ['"quoted" start', 'it said "2 tablets"'] and ds["label"] == [1, 0]


def test_tsv_bare_carriage_return_is_an_error_naming_the_line(tmp_path):
    err = error_of(write(tmp_path, "a.tsv", "text\tlabel\nok\t0\nbare\rreturn\t1\n"))
    assert err.line == 3 and "carriage return" in str(err)


def test_duplicate_header_column_is_an_error(tmp_path):
    err = error_of(write(tmp_path, "a.tsv", "text\ttext\tlabel\na\tb\t1\n"))
    assert err.line == 1 and "'text' appears twice" in str(err)


# ------------------------------------------------------------------ JSONL: objects with a string text
@pytest.mark.parametrize("line,message", [
    ('{"text": null, "label": 1}', "'text' is null"),
    ('{"label": 1}', "no 'text' field"),
    ('{"text": 42, "label": 1}', "'text' is a number"),
    ('{"text": ["a"], "label": 1}', "'text' is an array"),
    ('{"text": "fine", "label": null}', "'label' is null"),
    ('{"text": "fine"}', "no 'label' field"),
])
def test_jsonl_null_missing_or_non_string_field_is_an_error(tmp_path, line, message):
    path = write(tmp_path, "a.jsonl", '{"text": "good", "label": 0}\n' + line + "\n")
    err = error_of(path)
    assert err.line == 2 and message in str(err)


def test_jsonl_null_text_on_the_first_line_is_an_error(tmp_path):
    err = error_of(write(tmp_path, "a.jsonl", '{"text": null, "label": 1}\n'))
    assert err.line == 1 and "'text' is null" in str(err)


@pytest.mark.parametrize("line,found", [
    ("[1, 2]", "an array"), ('"just text"', "a string"), ("3", "a number"),
    ("null", "null"), ("true", "true"),
])
@pytest.mark.parametrize("first", [True, False], ids=["first-line", "later-line"])
def test_jsonl_line_that_is_not_an_object_is_one_clear_error(tmp_path, line, found, first):
    good = '{"text": "good", "label": 0}\n'
    path = write(tmp_path, "a.jsonl", (line + "\n" + good) if first else (good + line + "\n"))
    err = error_of(path)
    assert err.line == (1 if first else 2)
    assert "expected a JSON object" in str(err) and f"found {found}" in str(err)


def test_jsonl_labels_as_numbers_or_names_still_read(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "a", "label": 0}\n\n{"text": "b", "label": "1"}\n')
    ds = read_text_classification(path)
    assert ds["text"] == ["a", "b"] and ds["label"] == [0, 1]


# ------------------------------------------------------------------ encodings
@pytest.mark.parametrize("name,kind,body", [
    ("a.tsv", "TSV", b"text\tlabel\nna\xefve\t1\n"),
    ("a.csv", "CSV", b"text,label\nna\xefve,1\n"),
    ("a.jsonl", "JSONL", b'{"text": "ok", "label": 0}\n{"text": "na\xefve", "label": 1}\n'),
])
def test_encoding_error_is_named_for_the_right_format(tmp_path, name, kind, body):
    path = write(tmp_path, name, body)
    with pytest.raises(TextFormatError) as info:
        read_text_classification(path)
    assert not isinstance(info.value, ConllFormatError)
    message = str(info.value)
    assert message.startswith(f"{path}:2: ") and f"{kind} file is not UTF-8" in message
    offset = body.index(b"\xef")
    assert f"byte offset {offset}" in message


def test_utf16_file_is_recognised(tmp_path):
    path = write(tmp_path, "a.tsv", "text\tlabel\nok\t1\n".encode("utf-16"))
    with pytest.raises(TextFormatError, match="UTF-16"):
        read_text_classification(path)


# ------------------------------------------------------------------ the course's own files
@pytest.mark.parametrize("name", ["train", "dev", "test", "dev_kinds", "test_kinds"])
def test_course_tsvs_read_exactly_what_their_lines_hold(name):
    """Each data line of the course's TSVs is one example whose text is the text column as
    written (the corpus is written with no quoting, one example per line)."""
    path = DATA / "app_feedback" / f"{name}.tsv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header, rows = lines[0].split("\t"), [line.split("\t") for line in lines[1:] if line]
    ds = read_text_classification(path, FEEDBACK_LABELS)
    assert ds["text"] == [row[header.index("text")] for row in rows]
    assert ds["label"] == [int(row[header.index("label")]) for row in rows]


def test_jsonl_repeated_key_is_an_error_not_the_last_value(tmp_path):
    path = write(tmp_path, "a.jsonl", '{"text": "kept?", "text": "or this?", "label": 1}\n')
    err = error_of(path)
    assert err.line == 1 and "'text' appears twice" in str(err)
