"""helpers/align.py: label alignment, truncation counts, document context, the articles' bug."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from helpers import align, formats, tagging
from helpers.align import IGNORE, align_labels
from helpers.hub import bundled_model_path

LABELS = tagging.iob2_labels()
L = {name: i for i, name in enumerate(LABELS)}


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(bundled_model_path())


def _dataset(tmp_path, text):
    path = tmp_path / "x.conll"
    path.write_text(text)
    return formats.read_conll(path, LABELS)


def test_first_piece_carries_the_label():
    # [CLS] took ib ##up ##ro ##fen [SEP]
    word_ids = [None, 0, 1, 1, 1, 1, None]
    assert align_labels(word_ids, [L["O"], L["B-MEDICATION"]]) == \
        [IGNORE, L["O"], L["B-MEDICATION"], IGNORE, IGNORE, IGNORE, IGNORE]


def test_label_all_subtokens_turns_b_into_i():
    b_to_i = align.b_to_i_map(LABELS)
    got = align_labels([None, 0, 0, 0, None], [L["B-MEDICATION"]], True, b_to_i)
    assert got == [IGNORE, L["B-MEDICATION"], L["I-MEDICATION"], L["I-MEDICATION"], IGNORE]


def test_context_words_are_not_labelled():
    # words 0-1 are context, 2-3 the sentence, 4 context
    got = align_labels([None, 0, 1, 2, 3, 4, None], [L["B-TIME"], L["I-TIME"]],
                       labelled_words=range(2, 4))
    assert got == [IGNORE, IGNORE, IGNORE, L["B-TIME"], L["I-TIME"], IGNORE, IGNORE]


def test_tokenize_and_align_with_a_real_tokenizer(tokenizer, tmp_path):
    ds = _dataset(tmp_path, "took O\nibuprofen B-MEDICATION\n\n")
    encoded, stats = align.tokenize_and_align(ds, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(encoded[0]["input_ids"])
    assert tokens == ["[CLS]", "took", "ib", "##up", "##ro", "##fen", "[SEP]"]
    assert encoded[0]["labels"] == [IGNORE, L["O"], L["B-MEDICATION"], IGNORE, IGNORE, IGNORE,
                                    IGNORE]
    assert (stats.truncated_sequences, stats.words_lost) == (0, 0)


def test_truncation_is_counted(tokenizer, tmp_path):
    ds = _dataset(tmp_path, "".join(f"word{i} O\n" for i in range(20)) + "\nshort O\n")
    _, stats = align.tokenize_and_align(ds, tokenizer, max_length=8)
    assert stats.sequences == 2 and stats.truncated_sequences == 1
    kept = 8 - 2  # [CLS] and [SEP]; "wordN" may split into several pieces, so at most 6 kept
    assert stats.words_lost >= 20 - kept
    assert "1 of 2 sequences truncated" in str(stats)


def test_context_windows_stay_inside_the_document(tokenizer, tmp_path):
    text = ("-DOCSTART- O\n\na O\n\nb O\n\nc O\n\n"
            "-DOCSTART- O\n\nz O\n\n")
    ds = _dataset(tmp_path, text)
    windows = align.context_windows(ds, tokenizer, max_length=64)
    assert [w for w, _ in windows] == [["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c"], ["z"]]
    assert [list(r) for _, r in windows] == [[0], [1], [2], [0]]
    tight = align.context_windows(ds, tokenizer, max_length=2 + 2)  # room for 2 tokens
    assert [w for w, _ in tight][1] in (["b", "c"], ["a", "b"])


def test_context_labels_only_the_sentence(tokenizer, tmp_path):
    ds = _dataset(tmp_path, "-DOCSTART- O\n\nfever B-SYMPTOM\n\nsince O\nmonday B-TIME\n\n")
    encoded, _ = align.tokenize_and_align(ds, tokenizer, context=True)
    tokens = tokenizer.convert_ids_to_tokens(encoded[1]["input_ids"])
    assert tokens == ["[CLS]", "fever", "since", "monday", "[SEP]"]
    assert encoded[1]["labels"] == [IGNORE, IGNORE, L["O"], L["B-TIME"], IGNORE]


def test_articles_recipe_pads_to_128_and_misaligns(tokenizer, tmp_path):
    ds = _dataset(tmp_path, "took O\nibuprofen B-MEDICATION\ntoday B-TIME\n\n")
    encoded = align.articles_encode(ds[0]["tokens"], ds[0]["ner_tags"], tokenizer)
    assert len(encoded["input_ids"]) == len(encoded["labels"]) == 128
    assert encoded["labels"][:3] == [L["O"], L["B-MEDICATION"], L["B-TIME"]]
    # as written every label sits one token early ([CLS] takes the first word's label)
    assert align.misaligned_share(ds, tokenizer)["share"] == 1.0
    # fixing only the [CLS] shift: "took" is right; "ibuprofen" splits, so "today" drifts
    fixed = align.misaligned_share(ds, tokenizer, offset=1)
    assert (fixed["words"], fixed["wrong word"]) == (3, 1)


def test_case_feature_marks_capitalised_words(tokenizer, tmp_path):
    ds = _dataset(tmp_path, "took O\nIbuprofen B-MEDICATION\n\n")
    encoded, _ = align.tokenize_and_align(ds, tokenizer, case_feature=True)
    # [CLS] took ib ##up ##ro ##fen [SEP]: every piece of "Ibuprofen" is marked
    assert encoded[0]["token_type_ids"] == [0, 0, 1, 1, 1, 1, 0]
    plain, _ = align.tokenize_and_align(ds, tokenizer)
    assert "token_type_ids" not in plain.column_names
