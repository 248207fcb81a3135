"""helpers/predict.py (NerPredictor, predict_dataset) on a tiny (untrained) token classifier:
the mechanics (offsets, windows, one tag per word), not the quality."""

from __future__ import annotations

from helpers import corpora, tagging
from helpers.predict import NerPredictor, predict_dataset


def test_every_word_gets_one_tag_even_past_the_window(tiny_tagger):
    ner = NerPredictor(tiny_tagger, device="cpu", max_length=32, stride=8)
    words = ("took ibuprofen for the headache since monday " * 30).split()
    tags, scores = ner.tag_words(words)
    assert len(tags) == len(scores) == len(words) == 210
    assert all(t in tagging.iob2_labels() for t in tags) and all(0 < s <= 1 for s in scores)


def test_entities_carry_offsets_into_the_text(tiny_tagger, monkeypatch):
    ner = NerPredictor(tiny_tagger, device="cpu")
    text = "Took 400mg ibuprofen,  since Tuesday."
    words = tagging.tokenize_words(text)
    fixed = ["O", "B-DOSAGE", "B-MEDICATION", "O", "O", "B-TIME", "O"]
    monkeypatch.setattr(ner, "tag_batch", lambda lists, batch_size=32: [(fixed, [0.9] * len(w))
                                                                          for w in lists])
    found = ner(text)
    assert [(e["text"], e["type"]) for e in found] == [("400mg", "DOSAGE"),
                                                        ("ibuprofen", "MEDICATION"),
                                                        ("Tuesday", "TIME")]
    for entity in found:
        assert text[entity["start"]:entity["end"]] == entity["text"]
    assert len(words) == len(fixed)


def test_word_list_input(tiny_tagger, monkeypatch):
    ner = NerPredictor(tiny_tagger, device="cpu")
    assert ner("") == [] and ner.tag_words([]) == ([], [])
    monkeypatch.setattr(ner, "tag_batch", lambda lists, batch_size=32: [
        (["B-SYMPTOM", "I-SYMPTOM", "O"], [1.0] * 3)])
    assert ner(["bad", "cough", "today"]) == [
        {"text": "bad cough", "type": "SYMPTOM", "start": 0, "end": 9, "score": 1.0}]


def test_predict_dataset_gives_one_tag_per_word(tiny_tagger):
    test = corpora.load_health_ner()["test"].select(range(20))
    pred = predict_dataset(tiny_tagger, test, max_length=16)  # short: some words truncated
    assert [len(p) for p in pred] == [len(t) for t in test["tokens"]]


def test_predictor_builds_case_features_when_the_model_was_trained_with_them(tiny_tagger,
                                                                              tmp_path):
    import json
    import shutil

    folder = tmp_path / "cased"
    shutil.copytree(tiny_tagger, folder)
    (folder / "run_config.json").write_text(json.dumps({"case_feature": True}))
    ner = NerPredictor(folder, device="cpu")
    seen = {}
    original = ner.model.forward

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    ner.model.forward = spy
    ner.tag_words(["took", "Advil"])
    tokens = ner.tokenizer.convert_ids_to_tokens(seen["input_ids"][0])
    assert tokens == ["[CLS]", "took", "ad", "##vil", "[SEP]"]
    assert seen["token_type_ids"][0].tolist() == [0, 0, 1, 1, 0]


def test_a_batch_gives_what_each_text_gives_alone(tiny_tagger):
    """Batching (several texts, windows of several texts in one forward pass, padding) changes
    no tag and no score beyond float noise, whatever the batch size."""
    ner = NerPredictor(tiny_tagger, device="cpu", max_length=24, stride=6, precision="fp32")
    texts = ["Took 400mg ibuprofen since Tuesday.", "",
             " ".join(["woke at 3am with cramps in my left calf"] * 6),  # several windows
             ["bad", "cough", "today"], "sore throat"]
    alone = [ner(t) for t in texts]
    for batch_size in (1, 3, 64):
        together = ner.predict(texts, batch_size=batch_size)
        assert [[(e["start"], e["end"], e["type"]) for e in found] for found in together] == \
            [[(e["start"], e["end"], e["type"]) for e in found] for found in alone]
        assert all(abs(a["score"] - b["score"]) <= 0.002 for x, y in zip(together, alone)
                   for a, b in zip(x, y))


def test_the_forward_pass_can_be_swapped(tiny_tagger):
    """``forward`` is the one seam for other runtimes (int8, ONNX): whatever it returns is what
    the tags come from."""
    import torch

    ner = NerPredictor(tiny_tagger, device="cpu")
    dosage = ner.labels.index("B-DOSAGE")

    def always_dosage(inputs):
        logits = torch.zeros(*inputs["input_ids"].shape, len(ner.labels))
        logits[..., dosage] = 5.0
        return logits

    ner.forward = always_dosage
    assert ner.tag_words(["took", "two"])[0] == ["B-DOSAGE", "B-DOSAGE"]
