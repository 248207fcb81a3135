"""helpers/formats.py: CoNLL reading/writing and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.env import REPO_ROOT
from helpers.formats import ConllFormatError, keep_types, read_conll, read_conll_dir, write_conll
from helpers.tagging import check_iob2, iob2_labels, label_names, tag_strings

GOOD = "-DOCSTART- O\n\nTook O\n400 B-DOSAGE\nmg I-DOSAGE\n\nno O\nfever B-SYMPTOM\n\n"
LABELS = iob2_labels()


def write(tmp_path: Path, text: str | bytes, name: str = "f.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# ------------------------------------------------------------------ reading what is valid
def test_reads_tokens_tags_docs_and_lines(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    assert ds["tokens"] == [["Took", "400", "mg"], ["no", "fever"]]
    assert tag_strings(ds) == [["O", "B-DOSAGE", "I-DOSAGE"], ["O", "B-SYMPTOM"]]
    assert ds["line"] == [3, 7] and ds["doc_id"] == [0, 0]
    assert label_names(ds) == LABELS


@pytest.mark.parametrize("variant", [
    lambda t: t.replace("\n", "\r\n"),                   # Windows line ends
    lambda t: "\ufeff" + t,                               # a BOM
    lambda t: t.replace(" ", "\t"),                       # tabs
    lambda t: t.replace("\n\n", "\n\n\n\n"),              # repeated blank lines
    lambda t: t.rstrip("\n"),                             # no final newline
])
def test_format_variants_read_the_same(tmp_path, variant):
    expected = read_conll(write(tmp_path, GOOD, "a.conll"), LABELS)
    got = read_conll(write(tmp_path, variant(GOOD), "b.conll"), LABELS)
    assert got["tokens"] == expected["tokens"] and got["ner_tags"] == expected["ner_tags"]


def test_four_column_conll2003_style(tmp_path):
    text = ("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
            "-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n")
    ds = read_conll(write(tmp_path, text))
    assert tag_strings(ds) == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert ds["doc_id"] == [0, 1]
    assert label_names(ds) == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def test_iob1_is_converted_with_a_notice(tmp_path):
    text = "pain I-SYMPTOM\nin O\nknee I-BODY_PART\n\nfever I-SYMPTOM\nchills B-SYMPTOM\n"
    with pytest.warns(UserWarning, match="IOB1"):
        ds = read_conll(write(tmp_path, text), LABELS)
    assert tag_strings(ds) == [["B-SYMPTOM", "O", "B-BODY_PART"],
                               ["B-SYMPTOM", "B-SYMPTOM"]]


# ------------------------------------------------------------------ every kind of bad input
@pytest.mark.parametrize("text,line,expected", [
    ("Took O\n400 B-DOSAGE extra\n", 2, "expected 2 columns"),
    ("Took\n", 1, "expected 'token tag'"),
    ("Took O\n400 B_DOSAGE\n", 2, "is not O, B-TYPE or I-TYPE"),
    ("Took O\n400 b-DOSAGE\n", 2, "is not O, B-TYPE or I-TYPE"),
    ("Took O\naspirin B-DRUG\n", 2, "not in the label set"),
    ("Took B-DOSAGE\n400 I-TIME\n\nx B-TIME\n", 2, "invalid IOB2: I-TIME follows B-DOSAGE"),
    ("\n\n-DOCSTART- O\n\n", 5, "no sentences found"),
    ("", 1, "no sentences found"),
])
def test_bad_input_names_file_and_line(tmp_path, text, line, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConllFormatError, match=expected) as info:
        read_conll(path, LABELS)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert (info.value.path, info.value.line) == (str(path), line)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)  # one line


def test_invalid_iob2_is_not_mistaken_for_iob1(tmp_path):
    # B- starts entities after O (so this is IOB2), and one I- is stray: an error, not IOB1
    text = "no O\nfever B-SYMPTOM\n\ntook O\n400 I-DOSAGE\n"
    with pytest.raises(ConllFormatError, match=":5: invalid IOB2"):
        read_conll(write(tmp_path, text), LABELS)


# ------------------------------------------------------------------ writing
def test_round_trip_read_write_read_is_identical(tmp_path):
    first = read_conll(write(tmp_path, GOOD + "-DOCSTART- O\n\nat O\n8pm B-TIME\n"), LABELS)
    out = write_conll(first, tmp_path / "out" / "again.conll")
    second = read_conll(out, LABELS)
    for column in ("tokens", "ner_tags", "doc_id"):
        assert first[column] == second[column]
    assert out.read_text() == write_conll(second, tmp_path / "third.conll").read_text()


# ------------------------------------------------------------------ folders and label sets
def test_reads_the_shared_conll2003_files_when_present():
    folder = REPO_ROOT.parent / "shared" / "benchmarks" / "conll2003"
    if not folder.is_dir():
        pytest.skip("../shared is not beside this checkout")
    ds = read_conll_dir(folder)
    assert (len(ds["train"]), len(ds["validation"])) == (14041, 3250)
    assert check_iob2(ds["validation"]) == []


def test_keep_types_maps_other_entities_to_o(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    kept = keep_types(ds, ["DOSAGE"])
    assert label_names(kept) == ["O", "B-DOSAGE", "I-DOSAGE"]
    assert tag_strings(kept) == [["O", "B-DOSAGE", "I-DOSAGE"], ["O", "O"]]


# ------------------------------------------------------------------ columns: spaces and tabs only
# str.split() and str.splitlines() also break on these; a CoNLL token may contain them.
ODD_SPACES = ["\u2028", "\x0c", "\x85", "\u00a0", "\x1c", "\u3000"]


@pytest.mark.parametrize("char", ODD_SPACES, ids=[f"U+{ord(c):04X}" for c in ODD_SPACES])
def test_token_containing_a_unicode_space_or_line_separator_is_kept(tmp_path, char):
    path = write(tmp_path, f"took O\nfe{char}ver B-SYMPTOM\nnow O\n\nok O\n")
    ds = read_conll(path, LABELS)
    assert ds["tokens"] == [["took", f"fe{char}ver", "now"], ["ok"]]
    assert tag_strings(ds) == [["O", "B-SYMPTOM", "O"], ["O"]]
    assert ds["line"] == [1, 5]


@pytest.mark.parametrize("char", ["\x0c", "\u2028", "\u00a0"])
def test_line_of_only_an_odd_space_is_not_a_silent_sentence_break(tmp_path, char):
    path = write(tmp_path, f"took O\n{char}\nfever B-SYMPTOM\n")
    with pytest.raises(ConllFormatError) as info:
        read_conll(path, LABELS)
    assert info.value.line == 2 and str(info.value).startswith(f"{path}:2: ")


def test_not_utf8_conll_names_format_and_byte_offset(tmp_path):
    body = b"Took O\nna\xefve B-SYMPTOM\n"
    path = write(tmp_path, body)
    offset = body.index(0xef)
    with pytest.raises(ConllFormatError, match=f":2: CoNLL file is not UTF-8 .*byte offset {offset}\\)"):
        read_conll(path, LABELS)
