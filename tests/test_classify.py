"""helpers/classify.py and the classification reader: metrics by hand, thresholds, freezing,
LoRA, the argmax bug, and the CLI on a tiny BERT."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from helpers import classify, cli, corpora
from helpers.checkpoint import load_model
from helpers.formats import TextFormatError, read_text_classification
from helpers.predict import predict_proba
from helpers.recipe import ClassifyConfig


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ reading
def test_reads_tsv_csv_and_jsonl(tmp_path):
    tsv = read_text_classification(write(tmp_path, "a.tsv", "text\tlabel\ngreat app\t0\ncrashes\t1\n"))
    csv = read_text_classification(write(tmp_path, "a.csv", 'text,label\n"great, app",0\ncrashes,1\n'))
    jsonl = read_text_classification(write(tmp_path, "a.jsonl",
                                           '{"text": "great app", "label": 0}\n'
                                           '{"text": "crashes", "label": "1"}\n'))
    assert tsv["label"] == csv["label"] == jsonl["label"] == [0, 1]
    assert csv["text"][0] == "great, app"
    named = read_text_classification(write(tmp_path, "b.tsv", "sentence\tlabel\nok\tfollow_up\n"),
                                     ["no_action", "follow_up"])
    assert named["label"] == [1] and named.features["label"].names == ["no_action", "follow_up"]


@pytest.mark.parametrize("name,text,line,message", [
    ("c.tsv", "text\tlabel\nfine\t0\nbroken\n", 3, "expected 2 columns"),
    ("c.tsv", "text\tlabel\nfine\t2\n", 2, "label '2' is not one of 0, 1"),
    ("c.tsv", "text\tlabel\n \t1\n", 2, "empty text"),
    ("c.tsv", "words\tlabel\nfine\t1\n", 2, "expected a text column"),
    ("c.tsv", "", 1, "empty file"),
    ("c.jsonl", '{"text": "a", "label": 0}\n{oops\n', 2, "not a JSON object"),
])
def test_bad_text_files_name_file_and_line(tmp_path, name, text, line, message):
    path = write(tmp_path, name, text)
    with pytest.raises(TextFormatError, match=message) as info:
        read_text_classification(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and isinstance(info.value, ValueError)


# ------------------------------------------------------------------ metrics and thresholds
def test_scores_hand_computed():
    labels, probs = [0, 1, 1, 0, 1], [0.1, 0.8, 0.4, 0.6, 0.9]
    got = classify.scores(labels, probs)
    # predictions at 0.5: 0 1 0 1 1 -> TP 2, FP 1, FN 1, TN 1
    assert got["accuracy"] == pytest.approx(3 / 5)
    assert got["precision"] == pytest.approx(2 / 3) and got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 / 3)
    # ROC-AUC: of 6 (positive, negative) pairs, 5 are ranked correctly (0.4 < 0.6 is not)
    assert got["roc_auc"] == pytest.approx(5 / 6)


def test_threshold_follows_the_costs():
    labels, probs = [1, 0, 1, 0, 0], [0.9, 0.6, 0.3, 0.2, 0.1]
    low, table = classify.choose_threshold(labels, probs, cost_fn=5, cost_fp=1)
    assert low == 0.3  # catching the 0.3 positive costs one false alarm, worth it at 5:1
    assert table.loc[table["threshold"] == 0.3, "cost"].item() == 1
    high, _ = classify.choose_threshold(labels, probs, cost_fn=1, cost_fp=5)
    assert high == 0.9  # false alarms now cost more: only the surest prediction


def test_articles_argmax_fails_and_the_fix_works():
    logits = torch.tensor([[0.2, 1.5], [2.0, -1.0]])
    with pytest.raises(IndexError):
        classify.articles_predictions(logits)
    assert logits.argmax(dim=-1).tolist() == [1, 0]


# ------------------------------------------------------------------ tuning modes
@pytest.fixture
def tiny_classifier(tiny_bert):
    from transformers import AutoModelForSequenceClassification

    return lambda: AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=2)


def test_head_only_trains_exactly_the_classifier(tiny_classifier):
    model, trainable, total = classify.apply_tuning(tiny_classifier(), "head")
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert names == {"classifier.weight", "classifier.bias"}
    assert trainable == 32 * 2 + 2 and trainable < total


def test_upper_trains_top_layers_pooler_and_head(tiny_classifier):
    model, _, _ = classify.apply_tuning(tiny_classifier(), "upper", upper_layers=1)
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert {n.split(".")[0] for n in names} <= {"bert", "classifier"}
    assert any(n.startswith("bert.encoder.layer.1.") for n in names)
    assert not any(n.startswith("bert.encoder.layer.0.") for n in names)
    assert not any("embeddings" in n for n in names)
    assert "bert.pooler.dense.weight" in names and "classifier.weight" in names


def test_full_trains_everything(tiny_classifier):
    _, trainable, total = classify.apply_tuning(tiny_classifier(), "full")
    assert trainable == total


def test_lora_wraps_attention_and_keeps_base_weights_frozen(tiny_classifier):
    model, trainable, total = classify.apply_tuning(tiny_classifier(), "lora", lora_r=4)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("lora_A" in n and "query" in n for n in names)
    assert any("classifier" in n for n in names)
    assert not any("word_embeddings" in n or n.endswith("attention.self.query.base_layer.weight")
                   for n in names)
    # rank 4 on 3 projections x 2 layers: (32*4 + 4*32) * 3 * 2 = 1,536, plus the head
    lora = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)
    assert lora == 1536 and trainable < total / 10


def test_unknown_tuning_mode():
    with pytest.raises(ValueError, match="expected one of full, head, upper, lora"):
        classify.apply_tuning(None, "adapters")


# ------------------------------------------------------------------ end to end
def _feedback_files(tmp_path):
    good = ["love the new charts", "great summaries", "thanks, works well", "nice and simple"]
    bad = ["crashes on start", "lost all my logs", "sync broken again", "wrong dose shown"]
    rows = [(t, 0) for t in good] + [(t, 1) for t in bad]
    text = "text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows * 3)
    return {name: write(tmp_path, f"{name}.tsv", text) for name in ("train", "dev", "test")}


def test_cli_classify_prints_the_json_line(tiny_bert, tmp_path, capsys):
    files = _feedback_files(tmp_path)
    code = cli.main(["classify", "--train", str(files["train"]), "--validation",
                       str(files["dev"]), "--test", str(files["test"]), "--model", tiny_bert,
                       "--epochs", "1", "--batch-size", "8", "--output", str(tmp_path / "run")])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("dev_accuracy", "dev_f1", "test_accuracy", "test_f1", "train_seconds",
                "train_samples_per_second"):
        assert key in result
    # the course's classification defaults: lr 1e-4 for a small model, word embeddings frozen
    saved = json.loads((tmp_path / "run" / "best" / "run_config.json").read_text())
    assert saved["lr"] == 1e-4 and saved["freeze_word_embeddings"] is True
    assert result["trainable_parameters"] < 0.5 * sum(
        p.numel() for p in load_model(tmp_path / "run" / "best", "sequence")[0].parameters())


def test_cli_classify_refuses_resume(tiny_bert, tmp_path, capsys):
    files = _feedback_files(tmp_path)
    with pytest.raises(SystemExit):
        cli.main(["classify", "--train", str(files["train"]), "--validation",
                    str(files["dev"]), "--model", tiny_bert, "--resume"])
    assert "--resume is for ner runs" in capsys.readouterr().err


def test_dev_scores_are_the_saved_checkpoints(tiny_bert, tmp_path):
    """The dev probabilities kept from the best epoch equal a fresh prediction with the saved
    checkpoint (no second pass over dev is needed)."""
    from transformers import AutoTokenizer, DataCollatorWithPadding

    files = _feedback_files(tmp_path)
    splits = {"train": read_text_classification(files["train"]),
              "validation": read_text_classification(files["dev"])}
    config = ClassifyConfig(model=tiny_bert, output_dir=str(tmp_path / "run"), epochs=3,
                         batch_size=8, lr=1e-3)
    result = classify.train_classifier(config, splits)
    best = load_model(tmp_path / "run" / "best", "sequence")[0]
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "run" / "best")
    again = predict_proba(best, classify.tokenize_texts(splits["validation"], tokenizer),
                          DataCollatorWithPadding(tokenizer))
    assert np.allclose(result.dev_probs, again, atol=1e-3)


def test_train_classifier_with_lora_saves_and_reloads(tiny_bert, tmp_path):
    files = _feedback_files(tmp_path)
    splits = {"train": read_text_classification(files["train"]),
              "validation": read_text_classification(files["dev"])}
    config = ClassifyConfig(model=tiny_bert, output_dir=str(tmp_path / "lora"), epochs=1,
                         batch_size=8, lr=1e-3, tuning="lora", lora_r=4)
    result = classify.train_classifier(config, splits)
    assert result.trainable < result.total / 10
    assert 0 <= result.dev["accuracy"] <= 1 and len(result.dev_probs) == 24
    assert list((tmp_path / "lora" / "best").glob("adapter_model.safetensors"))


def test_the_story_classifies_app_feedback_online_and_offline(monkeypatch, tiny_benchmarks):
    """No argument and no branch: the notebooks' data is the course's corpus, even where SST-2
    is at hand (the benchmark has its own notebook, A1)."""
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tiny_benchmarks))
    dataset, source = corpora.course_classification_data()
    assert source == corpora.APP_FEEDBACK_SOURCE and len(dataset["train"]) == 2000
    assert dataset["train"].features["label"].names == ["no_action", "follow_up"]


def test_sst2_from_the_hub_holds_out_whole_sentences(tmp_path, monkeypatch):
    """The hub path (faked: no network in tests), when no local file is there: dev is whole
    training sentences whose own phrases left train; test is the hub's validation split."""
    import datasets
    from datasets import Dataset, DatasetDict

    sentences = [f"movie {k} is {'good' if k % 2 else 'bad'} and {w} ." for k, w in
                 enumerate("long short odd fun slow warm cold dark".split())]
    rows = [(" ".join(s.split()[a:b]), k % 2) for k, s in enumerate(sentences)
            for a in range(7) for b in range(a + 2, 8)]

    def table(pairs):
        return Dataset.from_dict({"idx": list(range(len(pairs))), "sentence": [t for t, _ in pairs],
                                  "label": [y for _, y in pairs]})

    fake = DatasetDict(train=table(rows), validation=table([("a new review .", 1)]))
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: fake)
    dataset, source = corpora.load_sst2(tmp_path / "nothing-here", online=True, dev_size=2)
    assert source.startswith(corpora.SST2_HUB_ID) and "2 whole sentences held out" in source
    assert set(dataset["validation"]["text"]) <= set(sentences)
    assert dataset["test"]["text"] == ["a new review ."]
    for sentence in dataset["validation"]["text"]:
        assert sentence not in dataset["train"]["text"]
        assert not any(sentence.split()[1] in t.split() for t in dataset["train"]["text"])


def test_load_splits_by_name_reads_the_local_sst2_file(tiny_benchmarks, monkeypatch):
    """``--train sst2`` offline: the local benchmark file, SST-2's own label names, no test."""
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tiny_benchmarks))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    splits = classify.load_splits("sst2", None, labels=["0", "1"])
    assert set(splits) == {"train", "validation"} and len(splits["validation"]) == 872
    assert splits["train"].features["label"].names == corpora.SST2_LABELS
