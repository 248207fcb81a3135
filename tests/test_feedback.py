"""helpers/feedback.py and helpers/monitor.py: the loop from served predictions to a training
split through the real service, and the monitoring profile (tiny random tagger: mechanics)."""

from __future__ import annotations

import json

import pytest

from helpers import corpora, feedback, monitor, serve, server, tagging
from helpers.store import AnnotationStore


def test_the_stream_texts_split_back_into_the_corpus_words():
    incoming = corpora.load_incoming()
    for text, tokens, tags in zip(feedback.stream_texts(incoming), incoming["tokens"],
                                  tagging.tag_strings(incoming)):
        assert tagging.tokenize_words(text) == tokens
        words, back = tagging.tags_from_char_spans(text, tagging.char_spans_from_tags(text, tags))
        assert (words, back) == (tokens, tags)


def test_corrections_flow_from_the_service_into_a_training_split(tiny_tagger, tmp_path):
    incoming = corpora.load_incoming().select(range(12))
    texts = feedback.stream_texts(incoming)
    store = tmp_path / "corrections.jsonl"
    with server.serving(tiny_tagger, store_path=store) as url:
        predicted, version = feedback.ask_service(url, texts, batch_size=5)
        counts = feedback.send_corrections(url, texts, predicted, incoming, version)
        again = feedback.send_corrections(url, texts, predicted, incoming, version)
    assert again == counts  # the same answers, the same corrections
    assert len(predicted) == 12 and counts["texts"] == 12
    assert counts["corrected"] == counts["wrong"] > 0  # a random model is wrong somewhere
    records = AnnotationStore(store).records()
    assert len(records) == 2 * counts["corrected"]  # append-only: the second pass is kept too
    assert {r["source"] for r in records} == {"simulated user"}
    assert {r["model_version"] for r in records} == {version}

    labels = tagging.iob2_labels()
    corrections = feedback.corrections_split(store, labels, tmp_path / "corrections.conll")
    assert len(corrections) == counts["corrected"]  # the latest per text
    gold = {" ".join(t): tags for t, tags in zip(incoming["tokens"], tagging.tag_strings(incoming))}
    for tokens, tags in zip(corrections["tokens"], tagging.tag_strings(corrections)):
        assert gold[" ".join(tokens)] == tags

    splits = corpora.load_health_ner()
    added = feedback.with_corrections(splits, corrections, train_limit=50)
    assert len(added["train"]) == 50 + len(corrections)
    assert added["test"] is splits["test"] and added["train"].features == splits["train"].features
    assert added["train"]["tokens"][50:] == corrections["tokens"]
    assert min(added["train"]["doc_id"][50:]) > max(added["train"]["doc_id"][:50])


def test_simulated_users_can_correct_only_a_share(tiny_tagger, tmp_path):
    incoming = corpora.load_incoming().select(range(30))
    texts = feedback.stream_texts(incoming)
    with server.serving(tiny_tagger, store_path=tmp_path / "c.jsonl") as url:
        predicted, version = feedback.ask_service(url, texts)
        counts = feedback.send_corrections(url, texts, predicted, incoming, version, share=0.5)
    assert 0 < counts["corrected"] < counts["wrong"]


def test_a_profile_from_the_request_log_matches_the_predictions(tiny_tagger, tmp_path):
    texts = feedback.stream_texts(corpora.load_incoming().select(range(20)))
    store = tmp_path / "c.jsonl"
    with server.serving(tiny_tagger, store_path=store) as url:
        start = serve.utc_now()
        predicted, _ = feedback.ask_service(url, texts, batch_size=7)
    direct, logged = monitor.profile(predicted), monitor.profile_from_log(store.with_name(
        "requests.jsonl"), since=start)
    for key, value in direct.items():
        assert logged[key] == pytest.approx(value, abs=1e-3), key
    assert monitor.profile_from_log(store.with_name("requests.jsonl"), since="9999")["texts"] == 0


def test_compare_flags_what_moved():
    base = monitor.profile([[{"type": "SYMPTOM", "score": 0.9}, {"type": "TIME", "score": 0.9}]])
    moved = monitor.profile([[{"type": "SYMPTOM", "score": 0.6}], [{"type": "SYMPTOM", "score": 0.6}]])
    table = monitor.compare({"test set": base, "served": moved})
    assert table.loc["look at", "test set"] == "-"
    assert table.loc["look at", "served"] == "SYMPTOM, TIME, mean confidence"


def test_a_damaged_request_log_names_file_and_line(tmp_path):
    log = tmp_path / "requests.jsonl"
    log.write_text(json.dumps({"at": "x", "texts": 1, "entities": {}, "mean_score": None,
                               "texts_without_entities": 1}) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"requests.jsonl:2: not a request record"):
        monitor.profile_from_log(log)
