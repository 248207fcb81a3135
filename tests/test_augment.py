"""helpers/augment.py: entity swap, and synonym replacement on NER and text datasets."""

from __future__ import annotations

import pytest
from datasets import ClassLabel, Dataset, Features, Value

from helpers.augment import SYNONYMS, augment_entity_swap, augment_synonyms
from helpers.formats import read_conll
from helpers.tagging import check_iob2, entity_spans, iob2_labels, tag_strings

LABELS = iob2_labels()


def _conll(tmp_path, text):
    path = tmp_path / "f.conll"
    path.write_text(text, encoding="utf-8")
    return read_conll(path, LABELS)


def test_entity_swap_keeps_types_and_valid_tags(tmp_path):
    text = ("took O\n400 B-DOSAGE\nmg I-DOSAGE\nibuprofen B-MEDICATION\n\n"
            "took O\n2 B-DOSAGE\ntablets I-DOSAGE\nof O\nco-codamol B-MEDICATION\n\n")
    ds = _conll(tmp_path, text)
    swapped = augment_entity_swap(ds, p=1.0, seed=3)
    assert check_iob2(swapped) == []
    for tokens, tags in zip(swapped["tokens"], tag_strings(swapped)):
        kinds = [k for k, _, _ in entity_spans(tags)]
        assert kinds == ["DOSAGE", "MEDICATION"] and len(tokens) == len(tags)
    doses, drugs = {"400 mg", "2 tablets"}, {"ibuprofen", "co-codamol"}
    first, second = (" ".join(t) for t in swapped["tokens"])
    assert first in {f"took {d} {m}" for d in doses for m in drugs}
    assert second in {f"took {d} of {m}" for d in doses for m in drugs}
    many = augment_entity_swap(ds.select([0, 1] * 10), p=1.0, seed=0)
    assert len({" ".join(t) for t in many["tokens"]}) > 2  # new combinations appear


def test_synonyms_never_touch_entities(tmp_path):
    text = "took O\nbad B-SYMPTOM\n\nreally O\nbad O\n"
    ds = _conll(tmp_path, text)
    out = augment_synonyms(ds, p=1.0, seed=0)
    assert out["tokens"][0] == ["had", "bad"] or out["tokens"][0] == ["taken", "bad"]
    assert out["tokens"][0][1] == "bad"  # the entity stays
    assert out["tokens"][1][0] in {"very", "so"} and out["tokens"][1][1] in {"awful", "terrible"}
    assert check_iob2(out) == []


# ------------------------------------------------------------------ text datasets
def _texts(texts):
    return Dataset.from_dict({"text": texts, "label": [k % 2 for k in range(len(texts))]},
                             features=Features({"text": Value("string"),
                                                "label": ClassLabel(names=["no", "yes"])}))


def test_text_synonyms_replace_known_words_and_keep_labels():
    ds = _texts(["Really bad app after the update", "took ages to load", "fine"])
    out = augment_synonyms(ds, p=1.0, seed=0)
    assert out.features == ds.features and out["label"] == ds["label"]
    first = out["text"][0].split(" ")
    assert first[0] in SYNONYMS["really"] and first[1] in SYNONYMS["bad"]
    assert first[2] == "app" and first[4:] == ["the", "update"]
    assert out["text"][1].split(" ")[0] in SYNONYMS["took"] and out["text"][2] == "fine"
    assert augment_synonyms(ds, p=0.0, seed=0)["text"] == ds["text"]


def test_text_synonyms_are_seeded_and_split_on_single_spaces():
    ds = _texts(["still bad  after  pretty bad days"] * 20)  # double spaces stay
    a, b = augment_synonyms(ds, p=0.5, seed=1), augment_synonyms(ds, p=0.5, seed=1)
    assert a["text"] == b["text"] and len(set(a["text"])) > 1
    assert all(t.count("  ") == 2 for t in a["text"])
    assert a["text"] != augment_synonyms(ds, p=0.5, seed=2)["text"]


def test_synonyms_need_ner_tags_or_text():
    with pytest.raises(ValueError, match="tokens and ner_tags .* or a text column"):
        augment_synonyms(Dataset.from_dict({"sentence": ["took it"]}))
