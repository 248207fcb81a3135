"""Users' corrections back into the data: the loop that notebook 07 closes.

Incoming logs go to the running service (``ask_service``); where its entities differ from what
the user meant, the user sends a correction (``send_corrections``: here a simulated user who
knows the gold tags, so the run needs no person); the service appends each correction to the
annotation store; the store's latest correction per text becomes a training split
(``corrections_split``), added to the base training data (``with_corrections``) to retrain with
the same recipe, and both models are scored on the unchanged test set.

    >>> stream_texts({"tokens": [["took", "400mg", "ibuprofen", "."]]})
    ['took 400mg ibuprofen.']

Imports: ``formats``, ``store``, ``tagging``.
"""

from __future__ import annotations

import random
from pathlib import Path

from helpers.formats import read_conll
from helpers.store import AnnotationStore
from helpers.tagging import char_spans_from_tags, detokenize, label_names, tag_strings


def stream_texts(dataset) -> list[str]:
    """The sentences of a NER dataset as the text a user would have typed (``detokenize``)."""
    return [detokenize(tokens) for tokens in dataset["tokens"]]


def ask_service(url: str, texts: list[str], batch_size: int = 16, timeout: float = 60
                ) -> tuple[list[list[dict]], str]:
    """Entities of every text from the service at ``url`` (``POST /v1/entities``, in batches),
    and the model version that answered."""
    import httpx

    found, version = [], ""
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for start in range(0, len(texts), batch_size):
            answer = client.post("/v1/entities", json={"texts": texts[start:start + batch_size]})
            answer.raise_for_status()
            body = answer.json()
            found += [result["entities"] for result in body["results"]]
            version = body["model_version"]
    return found, version


def _spans(entities: list[dict]) -> set[tuple[int, int, str]]:
    return {(e["start"], e["end"], e["type"]) for e in entities}


def send_corrections(url: str, texts: list[str], predicted: list[list[dict]], dataset,
                     version: str, share: float = 1.0, seed: int = 0) -> dict:
    """A simulated user for each text whose predicted entities differ from gold: with
    probability ``share`` (real users correct some mistakes, not all) it sends the gold
    entities as a correction (``POST /v1/corrections``). Returns counts."""
    import httpx

    rng = random.Random(seed)
    counts = {"texts": len(texts), "wrong": 0, "corrected": 0}
    with httpx.Client(base_url=url, timeout=30) as client:
        for text, found, tags in zip(texts, predicted, tag_strings(dataset)):
            gold = char_spans_from_tags(text, tags)  # what the user means
            if _spans(found) == _spans(gold):
                continue
            counts["wrong"] += 1
            if rng.random() >= share:
                continue
            answer = client.post("/v1/corrections", json={
                "text": text, "entities": gold, "model_version": version,
                "predicted": found, "source": "simulated user"})
            answer.raise_for_status()
            counts["corrected"] += 1
    return counts


def corrections_split(store_path: str | Path, labels: list[str], out: str | Path):
    """The latest correction of each text in the store, as a NER dataset (via a CoNLL file at
    ``out``, the same export notebook 02 uses)."""
    path = AnnotationStore(store_path).export_conll(out, labels)
    return read_conll(path, labels)


def with_corrections(splits, corrections, train_limit: int | None = None):
    """``splits`` with the corrections added to the (first ``train_limit``) training sentences;
    dev and test unchanged. Column layout and label set must match the base training data."""
    from datasets import DatasetDict, concatenate_datasets

    train = splits["train"]
    if label_names(corrections) != label_names(train):
        raise ValueError(f"corrections have labels {label_names(corrections)}, training data "
                         f"{label_names(train)}: export the store with the training labels")
    if train_limit is not None:
        train = train.select(range(min(train_limit, len(train))))
    first_doc = max(train["doc_id"], default=-1) + 1  # corrections are documents of their own
    corrections = corrections.map(lambda row: {"doc_id": row["doc_id"] + first_doc,
                                               "id": f"correction-{row['id']}"})
    added = concatenate_datasets([train, corrections.cast(train.features)])
    return DatasetDict({**splits, "train": added})
