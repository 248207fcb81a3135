"""helpers/data.py: CoNLL reading/writing, errors that name file and line, splits, leakage,
augmentation, and the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict

from helpers import data
from helpers.data import ConllFormatError, read_conll, write_conll

GOOD = "-DOCSTART- O\n\nTook O\n400 B-DOSAGE\nmg I-DOSAGE\n\nno O\nfever B-SYMPTOM\n\n"
LABELS = data.iob2_labels()


def write(tmp_path: Path, text: str | bytes, name: str = "f.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# ------------------------------------------------------------------ reading what is valid
def test_reads_tokens_tags_docs_and_lines(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    assert ds["tokens"] == [["Took", "400", "mg"], ["no", "fever"]]
    assert data.tag_strings(ds) == [["O", "B-DOSAGE", "I-DOSAGE"], ["O", "B-SYMPTOM"]]
    assert ds["line"] == [3, 7] and ds["doc_id"] == [0, 0]
    assert data.label_names(ds) == LABELS


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
    assert data.tag_strings(ds) == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert ds["doc_id"] == [0, 1]
    assert data.label_names(ds) == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def test_iob1_is_converted_with_a_notice(tmp_path):
    text = "pain I-SYMPTOM\nin O\nknee I-BODY_PART\n\nfever I-SYMPTOM\nchills B-SYMPTOM\n"
    with pytest.warns(UserWarning, match="IOB1"):
        ds = read_conll(write(tmp_path, text), LABELS)
    assert data.tag_strings(ds) == [["B-SYMPTOM", "O", "B-BODY_PART"],
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


def test_not_utf8_names_the_line(tmp_path):
    path = write(tmp_path, b"Took O\nna\xefve B-SYMPTOM\n")
    with pytest.raises(ConllFormatError, match=r":2: not UTF-8"):
        read_conll(path, LABELS)


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


def test_atomic_write_leaves_no_temp_files(tmp_path):
    data.atomic_write_text(tmp_path / "x.txt", "hello")
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_word_spans_match_the_text():
    text = "Sharp pain since Tue, took 400mg + 2 tabs @ 8:30am."
    for word, start, end in data.word_spans(text):
        assert text[start:end] == word
    assert data.tokenize_words("took 400mg, don't") == ["took", "400mg", ",", "don't"]


# ------------------------------------------------------------------ splits, leakage, checks
def _ds(sentences, tmp_path, name="s.conll"):
    text = ""
    for doc in sentences:
        text += "-DOCSTART- O\n\n"
        for sent in doc:
            text += "".join(f"{w} O\n" for w in sent.split()) + "\n"
    return read_conll(write(tmp_path, text, name), LABELS)


def test_leakage_finds_planted_exact_and_near_duplicates(tmp_path):
    train = _ds([["my head hurts a lot since monday morning"],
                 ["took two paracetamol for the back pain today"]], tmp_path, "t.conll")
    dev = _ds([["My head hurts a lot since Monday morning"],           # exact (case aside)
               ["took two paracetamol for the back pain today ok"],    # near: 6 of 7 3-grams
               ["completely different words in this one here"]], tmp_path, "d.conll")
    found = data.find_leakage(DatasetDict({"train": train, "validation": dev}))
    assert sorted((f["index_a"], f["index_b"]) for f in found) == [(0, 0), (1, 1)]
    assert {f["similarity"] for f in found} == {1.0, 0.857}


def test_leakage_ignores_duplicates_within_one_split(tmp_path):
    train = _ds([["same words in here again"], ["same words in here again"]], tmp_path)
    assert data.find_leakage(DatasetDict({"train": train})) == []


def _phrases(sentences, shared=()):
    """Each sentence with its word spans of length >= 2 (as SST-2's parse-tree phrases), and
    ``shared`` phrases also present in other sentences."""
    rows = []
    for k, sentence in enumerate(sentences):
        words = sentence.split()
        rows += [(" ".join(words[a:b]), k % 2) for a in range(len(words))
                 for b in range(a + 2, len(words) + 1)]
    return Dataset.from_dict({"text": [t for t, _ in rows] + list(shared),
                              "label": [y for _, y in rows] + [0] * len(shared)})


def test_split_by_sentence_holds_out_whole_sentences_and_their_phrases():
    sentences = [f"review {k} says the film is {adj} ." for k, adj in
                 enumerate(["dull", "great", "long", "fun", "odd", "sad"])]
    ds = _phrases(sentences)
    splits = data.split_by_sentence(ds, dev_size=2, seed=0)
    dev, train = splits["validation"]["text"], splits["train"]["text"]
    assert len(dev) == 2 and set(dev) <= set(sentences)  # whole sentences only
    for sentence in dev:
        own = [t for t in train if f" {t} " in f" {sentence} "]
        # only phrases that a training sentence also holds stay ("says the film is")
        assert own and all(any(f" {t} " in f" {s} " for s in sentences if s not in dev)
                           for t in own)
        assert not any(sentence.split()[1] in t.split() for t in own)  # its own number: gone
    assert len(train) + 2 < len(ds)
    random_rows = ds.train_test_split(test_size=0.1, seed=0)
    leaked = [t for t in random_rows["test"]["text"]
              if any(f" {t} " in f" {u} " for u in random_rows["train"]["text"])]
    assert leaked  # the row split it replaces does leak


def test_split_by_sentence_says_when_there_are_too_few_sentences():
    with pytest.raises(ValueError, match="sentences found"):
        data.split_by_sentence(_phrases(["a b c", "d e f"]), dev_size=2)


def test_split_by_document_keeps_documents_whole(tmp_path):
    ds = _ds([[f"doc {d} sentence {s}" for s in range(3)] for d in range(20)], tmp_path)
    splits = data.split_by_document(ds, seed=1)
    docs = {name: set(part["doc_id"]) for name, part in splits.items()}
    assert sum(len(part) for part in splits.values()) == len(ds)
    assert not (docs["train"] & docs["validation"]) and not (docs["train"] & docs["test"])
    assert [len(docs[n]) for n in ("train", "validation", "test")] == [14, 3, 3]


def test_check_iob2_reports_problems(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    assert data.check_iob2(ds) == []
    bad = ds.map(lambda ex: {"ner_tags": [0, LABELS.index("I-DOSAGE"), 0]}
                 if ex["tokens"][0] == "Took" else ex)
    assert data.check_iob2(bad) == ["sentence 0, token 1 ('400'): I-DOSAGE follows O"]


# ------------------------------------------------------------------ augmentation
def test_entity_swap_keeps_types_and_valid_tags(tmp_path):
    text = ("took O\n400 B-DOSAGE\nmg I-DOSAGE\nibuprofen B-MEDICATION\n\n"
            "took O\n2 B-DOSAGE\ntablets I-DOSAGE\nof O\nco-codamol B-MEDICATION\n\n")
    ds = read_conll(write(tmp_path, text), LABELS)
    swapped = data.augment_entity_swap(ds, p=1.0, seed=3)
    assert data.check_iob2(swapped) == []
    for tokens, tags in zip(swapped["tokens"], data.tag_strings(swapped)):
        kinds = [k for k, _, _ in data.entity_spans(tags)]
        assert kinds == ["DOSAGE", "MEDICATION"] and len(tokens) == len(tags)
    doses, drugs = {"400 mg", "2 tablets"}, {"ibuprofen", "co-codamol"}
    first, second = (" ".join(t) for t in swapped["tokens"])
    assert first in {f"took {d} {m}" for d in doses for m in drugs}
    assert second in {f"took {d} of {m}" for d in doses for m in drugs}
    many = data.augment_entity_swap(ds.select([0, 1] * 10), p=1.0, seed=0)
    assert len({" ".join(t) for t in many["tokens"]}) > 2  # new combinations appear


def test_synonyms_never_touch_entities(tmp_path):
    text = "took O\nbad B-SYMPTOM\n\nreally O\nbad O\n"
    ds = read_conll(write(tmp_path, text), LABELS)
    out = data.augment_synonyms(ds, p=1.0, seed=0)
    assert out["tokens"][0] == ["had", "bad"] or out["tokens"][0] == ["taken", "bad"]
    assert out["tokens"][0][1] == "bad"  # the entity stays
    assert out["tokens"][1][0] in {"very", "so"} and out["tokens"][1][1] in {"awful", "terrible"}
    assert data.check_iob2(out) == []


# ------------------------------------------------------------------ loaders
def test_conll2003_offline_falls_back_in_one_line(capsys):
    dataset, source = data.load_conll2003(online=False)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Offline:")
    assert source.startswith("health_ner") and set(dataset) == {"train", "validation", "test"}


def test_hub_mapping_gives_the_course_features():
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    names = ["O", "B-PER", "I-PER"]
    hub = DatasetDict({"train": Dataset.from_dict(
        {"id": ["0"], "tokens": [["Peter", "Blackburn"]], "pos_tags": [[1, 1]],
         "ner_tags": [[1, 2]]},
        features=Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                           "pos_tags": Sequence(Value("int32")),
                           "ner_tags": Sequence(ClassLabel(names=names))}))})
    mapped = data._from_hub(hub)
    assert mapped["train"].features == data.ner_features(names)
    assert mapped["train"][0]["doc_id"] == -1


def test_reads_the_shared_conll2003_files_when_present():
    folder = data.REPO_ROOT.parent / "shared" / "benchmarks" / "conll2003"
    if not folder.is_dir():
        pytest.skip("../shared is not beside this checkout")
    ds = data.read_conll_dir(folder)
    assert (len(ds["train"]), len(ds["validation"])) == (14041, 3250)
    assert data.check_iob2(ds["validation"]) == []


def test_keep_types_maps_other_entities_to_o(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    kept = data.keep_types(ds, ["DOSAGE"])
    assert data.label_names(kept) == ["O", "B-DOSAGE", "I-DOSAGE"]
    assert data.tag_strings(kept) == [["O", "B-DOSAGE", "I-DOSAGE"], ["O", "O"]]


def test_load_health_ner_follows_the_brief_types():
    two = data.load_health_ner(["MEDICATION", "DOSAGE"])
    assert data.label_names(two["test"]) == ["O", "B-MEDICATION", "I-MEDICATION", "B-DOSAGE",
                                             "I-DOSAGE"]
    with pytest.warns(UserWarning, match="no ALLERGY entities"):
        three = data.load_health_ner(["MEDICATION", "ALLERGY"])
    assert "B-ALLERGY" in data.label_names(three["train"])
