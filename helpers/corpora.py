"""The course's data sets: its own corpora in ``data/``, the data of notebooks 01-08 on every
machine, online and offline; the public benchmarks (CoNLL-2003, SST-2) of the appendix notebook
A1; and the datasheet's statistics table.

    >>> corpus = load_health_ner()
    >>> sorted(corpus), label_names(corpus["train"])[:3]
    (['test', 'train', 'validation'], ['O', 'B-SYMPTOM', 'I-SYMPTOM'])

``datasets`` and ``pandas`` are loaded when a function needs them.

Imports: ``env`` (the repository's path), ``formats`` (the readers), ``hub`` (is it reachable),
``splits`` (SST-2's dev set), ``tagging``.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import TYPE_CHECKING

from helpers.env import REPO_ROOT
from helpers.formats import (
    keep_types,
    ner_features,
    read_conll,
    read_conll_dir,
    read_text_classification,
)
from helpers.hub import check_hub
from helpers.tagging import ENTITY_TYPES, entity_spans, iob2_labels, label_names, tag_strings

if TYPE_CHECKING:
    import pandas as pd
    from datasets import DatasetDict

DATA = REPO_ROOT / "data"
# The parquet conversion of CoNLL-2003 on the hub: loads with datasets 5 (no script).
CONLL2003_HUB_ID = "eriktks/conll2003"
CONLL2003_REVISION = "refs/convert/parquet"
SST2_HUB_ID = "stanfordnlp/sst2"
FEEDBACK_LABELS = ["no_action", "follow_up"]
# What the notebooks report as their data source: the course's own corpora, in every profile.
HEALTH_NER_SOURCE = "data/health_ner (the course's corpus)"
APP_FEEDBACK_SOURCE = "data/app_feedback (the course's corpus)"


# --------------------------------------------------------------------------- NER
def load_health_ner(types: list[str] | None = None) -> DatasetDict:
    """The course's own health-log NER corpus (``data/health_ner``), always available offline.

    ``types`` (e.g. the project brief's ``entity_types``) chooses which entity types are
    labelled and in which label order; types the corpus does not have are kept in the label
    set with a warning (annotate them with the widget of notebook 02).
    """
    from datasets import DatasetDict

    corpus = read_conll_dir(DATA / "health_ner", iob2_labels())
    if types is None or list(types) == list(ENTITY_TYPES):
        return corpus
    missing = [t for t in types if t not in ENTITY_TYPES]
    if missing:
        warnings.warn(f"the health_ner corpus has no {', '.join(missing)} entities; they stay in "
                      "the label set with no examples until you annotate some", stacklevel=2)
    return DatasetDict({name: keep_types(ds, list(types)) for name, ds in corpus.items()})


def load_incoming():
    """Notebook 07's stream of incoming user logs (``data/health_ner/incoming.conll``): written by
    hand after dev and test, never trained on by the base model nor scored as test; its gold
    tags stand in for what users would correct (see the datasheet)."""
    return read_conll(DATA / "health_ner" / "incoming.conll", iob2_labels())


def course_ner_data() -> tuple[DatasetDict, str]:
    """The story's NER data, the same on every machine, online or offline, in every profile: the
    course's health-log corpus, and the name notebooks report as their data source. (The public
    benchmark CoNLL-2003 has its own place: the appendix notebook A1.)"""
    return load_health_ner(), HEALTH_NER_SOURCE


def _from_hub(hub: DatasetDict) -> DatasetDict:
    """Map a hub NER DatasetDict (tokens, ner_tags ClassLabel) to the course's features.
    The hub copy has no document boundaries, so ``doc_id`` is -1 (unknown)."""
    from datasets import DatasetDict

    labels = hub["train"].features["ner_tags"].feature.names
    features = ner_features(labels)
    return DatasetDict({
        split: ds.map(lambda ex, i, split=split: {"id": f"{split}-{i}", "doc_id": -1, "line": -1},
                      with_indices=True, remove_columns=[c for c in ds.column_names
                                                         if c not in ("tokens", "ner_tags")],
                      features=features)
        for split, ds in hub.items()})


def corpus_stats(splits: DatasetDict) -> pd.DataFrame:
    """Documents, sentences, tokens and entities per type for each split (the datasheet's table)."""
    import pandas as pd

    table = {}
    for name, ds in splits.items():
        spans = [entity_spans(tags) for tags in tag_strings(ds)]
        kinds = Counter(kind for sent in spans for kind, _, _ in sent)
        types = [label[2:] for label in label_names(ds) if label.startswith("B-")]
        table[name] = {"documents": len(set(ds["doc_id"])), "sentences": len(ds),
                       "tokens": sum(map(len, ds["tokens"])),
                       "sentences with no entity": sum(1 for s in spans if not s),
                       **{kind: kinds[kind] for kind in types},
                       "all entities": sum(kinds.values())}
    return pd.DataFrame(table)


# --------------------------------------------------------------------------- text classification
def load_app_feedback() -> DatasetDict:
    """The course's app-feedback corpus (``data/app_feedback``): 1 = needs product follow-up."""
    from datasets import DatasetDict

    folder = DATA / "app_feedback"
    return DatasetDict({split: read_text_classification(folder / f"{name}.tsv", FEEDBACK_LABELS)
                        for split, name in (("train", "train"), ("validation", "dev"),
                                            ("test", "test"))})


def course_classification_data() -> tuple[DatasetDict, str]:
    """The story's classification data, the same on every machine, online or offline, in every
    profile: the course's app-feedback corpus, and the name notebooks report as their data
    source. (SST-2 is benchmarked in the appendix notebook A1.)"""
    return load_app_feedback(), APP_FEEDBACK_SOURCE
