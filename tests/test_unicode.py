"""Any Unicode text through the NER path (helpers/tagging.py, align.py, predict.py): words the
tokenizer drops entirely get ``O`` and never shift the tags of the other words, inputs are NFC for
training and prediction alike, and entity offsets always index the text the caller passed.

The tagger is tiny and untrained (its classifier scaled up so that its tags differ from word to
word): these tests check the mechanics, never the quality."""

from __future__ import annotations

import random
import unicodedata

import pytest

from helpers import align, formats, predict, tagging
from helpers.ner import Scorer

LABELS = tagging.iob2_labels()
# Words the bundled WordPiece tokenizer turns into no piece at all: a variation selector (the
# second half of "☹️"), a lone combining accent, zero-width space, NUL, a byte-order mark, an
# empty word, a right-to-left mark, a lone surrogate (not encodable: replaced by U+FFFD).
NO_PIECE = ["\ufe0f", "\u0301", "\u200b", "\x00", "\ufeff", "", "\u200f", "\ud800"]
WORDS = ["took", "400", "mg", "ibuprofen", "for", "a", "headache", "since", "monday"]


@pytest.fixture(scope="module")
def tagger(tiny_bert, tmp_path_factory):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_bert, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={n: i for i, n in enumerate(LABELS)})
    with torch.no_grad():
        model.classifier.weight.normal_(std=2.0)
    path = tmp_path_factory.mktemp("varied-tagger")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def ner(tagger):
    return predict.NerPredictor(tagger, device="cpu", max_length=32, stride=8)


def _dataset(sentences: list[list[str]]):
    from datasets import Dataset

    return Dataset.from_dict({"id": [str(i) for i in range(len(sentences))],
                              "doc_id": [-1] * len(sentences), "line": [0] * len(sentences),
                              "tokens": sentences, "ner_tags": [[0] * len(s) for s in sentences]},
                             features=formats.ner_features(LABELS))


def _inserted(words: list[str], position: int, extra: str) -> list[str]:
    return words[:position] + [extra] + words[position:]


# --------------------------------------------------------------------------- defect 5: no crash
def test_the_issue_repro_does_not_crash(ner):
    found = ner("feeling ☹️ after 400 mg")
    text = "feeling ☹️ after 400 mg"
    assert all(text[e["start"]:e["end"]] == e["text"] for e in found)


@pytest.mark.parametrize("extra", NO_PIECE, ids=[f"U+{ord(c):04X}" if c else "empty" for c in NO_PIECE])
def test_a_word_with_no_piece_is_o_and_the_others_keep_their_tags(ner, extra):
    reference, scores = ner.tag_words(WORDS)
    assert len(set(reference)) > 1  # the tagger tells words apart, so a shift would show
    tags, new_scores = ner.tag_words(_inserted(WORDS, 3, extra))
    assert tags == _inserted(reference, 3, "O")
    assert new_scores[:3] + new_scores[4:] == scores
    for entity in ner(WORDS[:3] + [extra] + WORDS[3:]):
        assert extra != entity["text"]


def test_raw_text_with_pieceless_characters_keeps_every_other_tag(ner):
    plain = "took 400 mg ibuprofen for a headache since monday"
    nasty = "took 400 mg \u200b ibuprofen \ufeff for a \x00 headache since \u200f monday"
    spans = tagging.word_spans(nasty)
    tags, _ = ner.tag_words([w for w, _, _ in spans])
    kept = [t for (w, _, _), t in zip(spans, tags) if w not in NO_PIECE]
    assert kept == ner.tag_words(tagging.tokenize_words(plain))[0]
    assert [t for (w, _, _), t in zip(spans, tags) if w in NO_PIECE] == ["O"] * 4


# --------------------------------------------------------------------------- defect 6: no shift
def test_predict_dataset_does_not_shift_tags_after_a_pieceless_word(tagger):
    plain = [WORDS, WORDS[::-1]]
    reference = predict.predict_dataset(tagger, _dataset(plain))
    assert len(set(reference[0])) > 1
    for extra in NO_PIECE[:-1]:  # a CoNLL file cannot hold a lone surrogate
        got = predict.predict_dataset(tagger, _dataset([_inserted(s, 2, extra) for s in plain]))
        assert got == [_inserted(tags, 2, "O") for tags in reference], repr(extra)


def test_the_dev_scorer_does_not_shift_tags_after_a_pieceless_word(tagger):
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
    )

    model = AutoModelForTokenClassification.from_pretrained(tagger)
    tokenizer = AutoTokenizer.from_pretrained(tagger)
    collator = DataCollatorForTokenClassification(tokenizer)

    def scored_tags(sentences, **options):
        data = _dataset(sentences)
        scorer = Scorer(data, align.tokenize_and_align(data, tokenizer, **options)[0], collator)
        scorer(model)
        return scorer.tags

    reference = scored_tags([WORDS])
    assert scored_tags([_inserted(WORDS, 1, "\u200b")]) == [_inserted(reference[0], 1, "O")]
    # one tag per word (its first piece) also when every piece is labelled for training
    assert scored_tags([WORDS], label_all_subtokens=True) == reference


def test_first_pieces_are_recorded_and_kept_out_of_the_collator(tagger):
    from transformers import AutoTokenizer, DataCollatorForTokenClassification

    tokenizer = AutoTokenizer.from_pretrained(tagger)
    data = _dataset([["took", "\u200b", "ibuprofen"], ["fever"] * 20])
    encoded, stats = align.tokenize_and_align(data, tokenizer, max_length=8)
    # [CLS] took ib ##up ##ro ##fen [SEP]: the zero-width space has no piece
    assert align.first_pieces(encoded) == [[1, -1, 2],
                                           [1, 2, 3, 4, 5, 6] + [-1] * 14]  # cut by truncation
    assert encoded[0]["labels"] == [-100, 0, 0, -100, -100, -100, -100]  # training: unchanged
    assert (stats.words, stats.words_lost, stats.truncated_sequences) == (23, 14, 1)
    assert stats.pieceless_words == 1 and "1 word with no piece" in str(stats)
    batch = DataCollatorForTokenClassification(tokenizer)([encoded[i] for i in range(2)])
    assert sorted(batch) == ["attention_mask", "input_ids", "labels"]


# --------------------------------------------------------------------------- NFC, graphemes, offsets
def test_words_reach_the_tokenizer_in_nfc(tagger):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tagger)
    seen = []

    class Spy:
        def __call__(self, words, **kwargs):
            for item in words:  # sentences of words, or words alone
                seen.extend(item if isinstance(item, list) else [item])
            return tokenizer(words, **kwargs)

        def __getattr__(self, name):
            return getattr(tokenizer, name)

    data = _dataset([["cafe\u0301", "Ko\u0308ln"]])
    align.tokenize_and_align(data, Spy())
    align.tokenize_and_align(data, Spy(), context=True)
    assert set(seen) == {"café", "Köln"}
    assert align.model_words(["cafe\u0301", "a\ud800b", "\u1100\u1161"]) == ["café", "a\ufffdb", "가"]


def test_combining_marks_and_emoji_sequences_stay_inside_their_word():
    text = "cafe\u0301s ☹️ 👩\u200d💻 🇫🇷, took 400mg x\u0301\u0302y"
    words = tagging.tokenize_words(text)
    assert words == ["cafe\u0301s", "☹️", "👩\u200d💻", "🇫🇷", ",", "took", "400mg", "x\u0301\u0302y"]
    assert all(text[s:e] == w for w, s, e in tagging.word_spans(text))
    assert tagging.tokenize_words("Took 400mg, don't\r\n8:30am") == ["Took", "400mg", ",", "don't", "8:30am"]


def test_decomposed_accents_are_tagged_like_composed_ones(ner):
    composed, decomposed = "café au lait, Köln", unicodedata.normalize("NFD", "café au lait, Köln")
    assert ner.tag_words(tagging.tokenize_words(composed)) == \
        ner.tag_words(tagging.tokenize_words(decomposed))
    for entity in ner(decomposed):
        assert decomposed[entity["start"]:entity["end"]] == entity["text"]
        assert not unicodedata.combining(decomposed[entity["end"]:][:1] or "a")


RANGES = [(0x20, 0x7E)] * 6 + [
    (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0x24F), (0x300, 0x36F), (0x483, 0x489), (0x591, 0x5F4),
    (0x600, 0x6FF), (0x900, 0x97F), (0x1100, 0x11FF), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2066, 0x2069), (0x3000, 0x303F), (0x4E00, 0x4E80), (0xAC00, 0xAC40), (0xD800, 0xDFFF),
    (0xE000, 0xE010), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFF), (0x1F1E6, 0x1F1FF),
    (0x1F300, 0x1F6FF), (0x1F3FB, 0x1F3FF), (0x1F900, 0x1F9FF), (0x200D, 0x200D),
    (0xE0020, 0xE007F), (0x10FFF0, 0x10FFFF), (0x0378, 0x0379)]


def _random_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(0, 40)):
        low, high = rng.choice(RANGES)
        pieces.append(chr(rng.randint(low, high)) if rng.random() < 0.8 else " ")
    return "".join(pieces)


@pytest.fixture
def one_thread():
    """Many tiny forward passes: one thread is many times faster than two on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_fuzz_random_unicode_text(ner, monkeypatch, one_thread):
    """200 seeded random strings mixing ASCII with the code points that break tokenizers, as
    text and as lists of words: no exception, one tag per word, offsets that index the input."""
    rng = random.Random(14)
    tag_batch, counts = ner.tag_batch, []

    def counted(word_lists, batch_size=32):
        results = tag_batch(word_lists, batch_size)
        counts.extend((len(w), len(tags), len(scores)) for w, (tags, scores) in zip(word_lists, results))
        return results

    monkeypatch.setattr(ner, "tag_batch", counted)
    entities = 0
    for _ in range(200):
        text = _random_text(rng)
        spans = tagging.word_spans(text)
        starts, ends = {s for _, s, _ in spans}, {e for _, _, e in spans}
        for entity in ner(text):
            assert text[entity["start"]:entity["end"]] == entity["text"], repr(text)
            assert entity["start"] in starts and entity["end"] in ends, repr(text)
            entities += 1
        words = [_random_text(rng)[:8] for _ in range(rng.randint(0, 6))]
        joined = " ".join(words)
        for entity in ner(words):
            assert joined[entity["start"]:entity["end"]] == entity["text"], repr(words)
    assert all(n == tags == scores for n, tags, scores in counts)
    assert entities > 20  # the offsets were really exercised
