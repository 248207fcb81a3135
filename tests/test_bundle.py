"""helpers/bundle.py: the model card says what the evaluation measured, and a bundle reloads
to the same predictions."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers import bundle, corpora
from helpers.brief import load_brief
from helpers.predict import NerPredictor


@pytest.fixture(scope="module")
def small_splits():
    from datasets import DatasetDict

    corpus = corpora.load_health_ner()
    return DatasetDict({"train": corpus["train"].select(range(40)),
                        "validation": corpus["validation"].select(range(30)),
                        "test": corpus["test"].select(range(30))})


@pytest.fixture(scope="module")
def card(tiny_tagger, small_splits):
    return bundle.evaluate_card(tiny_tagger, small_splits, load_brief())


def test_the_card_reports_the_measured_scores_and_the_verdict(card, small_splits, tiny_tagger):
    from helpers.evaluate import entity_f1_interval
    from helpers.predict import predict_dataset
    from helpers.tagging import tag_strings

    test = small_splits["test"]
    expected = entity_f1_interval(tag_strings(test), predict_dataset(tiny_tagger, test))
    assert card.test == expected and card.version == bundle.model_version(tiny_tagger)
    text = card.to_markdown()
    assert f"| test | 30 | {expected.value:.3f} | {expected.low:.3f}-{expected.high:.3f} |" in text
    assert f"the test interval {expected.verdict(load_brief().target)}" in text
    for limit in bundle.datasheet_limits():
        assert limit in text
    assert "## Intended use" in text and "## Out of scope" in text and "Trained on 40" in text


def test_the_front_matter_is_hub_model_card_yaml(card):
    front = yaml.safe_load(card.to_markdown().split("---\n")[1])
    assert front["pipeline_tag"] == "token-classification" and front["license"] == "mit"
    metric = front["model-index"][0]["results"][0]["metrics"][0]
    assert metric["value"] == round(card.test.value, 4)


def test_a_bundle_reloads_to_identical_predictions(card, tiny_tagger, tmp_path):
    out = bundle.save_bundle(tiny_tagger, card, tmp_path / "bundle")
    assert (out / "README.md").read_text(encoding="utf-8") == card.to_markdown()
    assert bundle.model_version(out) == card.version
    texts = ["Took 400mg ibuprofen for a headache at 9am.", "sore throat since Monday " * 30]
    before = NerPredictor(tiny_tagger, device="cpu").predict(texts)
    assert NerPredictor(out, device="cpu").predict(texts) == before
    bundle.save_bundle(tiny_tagger, card, out)  # again: replaced whole, nothing left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_a_card_for_other_weights_is_refused(card, tiny_tagger, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tiny_tagger, other)
    (other / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(ValueError, match="evaluate the model you ship"):
        bundle.save_bundle(other, card, tmp_path / "out")


def test_in_place_the_card_is_written_beside_the_weights(card, tiny_tagger, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_tagger, folder)
    assert bundle.save_bundle(folder, card) == folder
    assert (folder / "README.md").is_file()


def test_a_datasheet_without_limits_is_an_error(tmp_path):
    sheet = tmp_path / "README.md"
    sheet.write_text("# data\n\n## Intended use\nteaching\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no '## Limits' section"):
        bundle.datasheet_limits(sheet)
