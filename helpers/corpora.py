"""The course's data sets: its own corpora in ``data/``, the data of notebooks 01-08 on every
machine, online and offline; the datasheet's statistics table; and the public benchmarks of the
appendix notebook A1 (CoNLL-2003, SST-2: local files, else the hub, else ``BenchmarkUnavailable``,
never another corpus in their place), with how much of them each profile uses
(``BENCHMARK_PLAN``) and the published figures they are set beside (``REFERENCES``).

    >>> corpus = load_health_ner()
    >>> sorted(corpus), label_names(corpus["train"])[:3]
    (['test', 'train', 'validation'], ['O', 'B-SYMPTOM', 'I-SYMPTOM'])

``datasets`` and ``pandas`` are loaded when a function needs them.

Imports: ``env`` (the repository's path), ``formats`` (the readers), ``hub`` (is it reachable),
``splits`` (SST-2's dev set), ``tagging``.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.env import REPO_ROOT, plan_name
from helpers.formats import (
    keep_types,
    ner_features,
    read_conll,
    read_conll_dir,
    read_text_classification,
    split_files,
)
from helpers.hub import check_hub
from helpers.splits import split_by_sentence
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


# --------------------------------------------------------------------------- public benchmarks (A1)
# Local copies of the benchmarks (README, "The benchmark files"): CoNLL-2003 train and dev
# (eng.testa) with the hub's label order, and GLUE SST-2's train.tsv; their test splits stay held out.
CONLL2003_LABELS = iob2_labels(["PER", "ORG", "LOC", "MISC"])
CONLL2003_FILES = ("train.txt", "valid.txt")
SST2_LABELS = ["negative", "positive"]


class BenchmarkUnavailable(FileNotFoundError):
    """A public benchmark that is neither on disk nor on a reachable hub. The message says where
    the course looked and how to get the data; no other corpus is ever used in its place."""


def benchmarks_folder(folder: str | Path | None = None) -> Path:
    """The folder that holds local copies of the public benchmarks (``conll2003/``, ``sst2/``):
    ``folder`` if given, else ``$COURSE_BENCHMARKS`` if set, else ``shared/benchmarks`` beside
    the repository (the course team's copy). It may not exist; the loaders then try the hub.

    >>> benchmarks_folder("~/data/benchmarks") == Path.home() / "data" / "benchmarks"
    True
    """
    if folder is None:
        folder = os.environ.get("COURSE_BENCHMARKS") or REPO_ROOT.parent / "shared" / "benchmarks"
    return Path(folder).expanduser()


def _unavailable(name: str, wanted: Path, hub_id: str, why_not_hub: str) -> BenchmarkUnavailable:
    """The one-line error of a benchmark found neither in ``wanted`` nor on the hub."""
    where = " ($COURSE_BENCHMARKS)" if os.environ.get("COURSE_BENCHMARKS") else ""
    return BenchmarkUnavailable(
        f"{name} is not available here: no {wanted}{where}, and {why_not_hub}. To get it, go "
        f"online (it then loads from the Hugging Face hub, {hub_id}), or set COURSE_BENCHMARKS "
        f"to a folder that holds {wanted.parent.name}/{wanted.name} (README.md, 'The benchmark "
        "files').")


def _from_hub_or_refuse(name: str, wanted: Path, hub_id: str, online: bool | None, **load_args):
    """``datasets.load_dataset(hub_id, **load_args)`` when the hub may be asked for ``name``
    (``online``, or ``None``: ask ``hub.check_hub``) and gives it; else ``BenchmarkUnavailable``."""
    why = "the hub is offline"
    if online is None:
        online, reason = check_hub()
        why += f" ({reason})"
    if not online:
        raise _unavailable(name, wanted, hub_id, why)
    try:
        from datasets import load_dataset

        return load_dataset(hub_id, **load_args)
    except Exception as err:  # the hub answered, but not with the data set
        raise _unavailable(name, wanted, hub_id, "the hub did not give it "
                           f"({type(err).__name__}: {str(err)[:120]})") from err


def load_conll2003(folder: str | Path | None = None, online: bool | None = None
                   ) -> tuple[DatasetDict, str]:
    """CoNLL-2003 English NER with the course's features, and where it came from.

    First the local files ``conll2003/train.txt`` and ``valid.txt`` (``test.txt`` too if
    present) under ``benchmarks_folder(folder)``, with their ``-DOCSTART-`` documents; else the
    hub's parquet copy (no document boundaries) when the hub answers (``online=None`` asks
    ``hub.check_hub``); else ``BenchmarkUnavailable``. Never the course's corpus in its place.

    >>> load_conll2003("/nowhere", online=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    helpers.corpora.BenchmarkUnavailable: CoNLL-2003 is not available here: no /nowhere/conll2003/train.txt...
    """
    local = benchmarks_folder(folder) / "conll2003"
    if {"train", "validation"} <= set(split_files(local)):
        return read_conll_dir(local, CONLL2003_LABELS), f"{local} (local files)"
    missing = next(local / f for f in CONLL2003_FILES if not (local / f).is_file())
    hub = _from_hub_or_refuse("CoNLL-2003", missing, CONLL2003_HUB_ID, online,
                              revision=CONLL2003_REVISION)
    return _from_hub(hub), f"{CONLL2003_HUB_ID}@{CONLL2003_REVISION} (the hub)"


def load_sst2(folder: str | Path | None = None, online: bool | None = None, dev_size: int = 872,
              seed: int = 13) -> tuple[DatasetDict, str]:
    """GLUE SST-2 (movie-review sentences and phrases: negative, positive), and where it came from.

    The dev set is ``dev_size`` whole sentences held out of train with their phrases
    (``splits.split_by_sentence``), like the official dev set, which stays held out. First the
    local ``sst2/train.tsv`` under ``benchmarks_folder(folder)`` (train and dev, no test); else
    the hub when it answers (its validation split becomes ``test``); else
    ``BenchmarkUnavailable``. Never the course's corpus in its place.

    >>> load_sst2("/nowhere", online=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    helpers.corpora.BenchmarkUnavailable: SST-2 is not available here: no /nowhere/sst2/train.tsv...
    """
    local = benchmarks_folder(folder) / "sst2" / "train.tsv"
    held_out = f"dev: {dev_size} whole sentences held out of train"
    if local.is_file():
        parts = split_by_sentence(read_text_classification(local, SST2_LABELS), dev_size, seed)
        return parts, f"{local} (local file; {held_out})"
    from datasets import DatasetDict

    hub = _from_hub_or_refuse("SST-2", local, SST2_HUB_ID, online)
    train, test = (hub[name].rename_column("sentence", "text").remove_columns("idx")
                   for name in ("train", "validation"))
    parts = split_by_sentence(train, dev_size=dev_size, seed=seed)
    return DatasetDict(train=parts["train"], validation=parts["validation"], test=test), \
        f"{SST2_HUB_ID} (the hub; {held_out}; test: the official dev split)"


@dataclass(frozen=True)
class BenchmarkPlan:
    """How much of each benchmark the appendix (notebook A1) trains on and scores in a profile:
    CoNLL-2003 sentences and SST-2 texts, ``None`` for all of them, and epochs. The ``full``
    plan is the recipe of the full runs it is compared with (README, Results).

    >>> BENCHMARK_PLAN["smoke"].changes("ner")
    {'train_limit': 600, 'eval_limit': 500, 'epochs': 1}
    >>> BENCHMARK_PLAN["smoke"].full_data, BENCHMARK_PLAN["full"].full_data
    (False, True)
    """

    conll_train: int | None
    conll_dev: int | None
    conll_epochs: int
    sst2_train: int | None
    sst2_dev: int | None
    sst2_epochs: int

    def changes(self, task: str) -> dict:
        """The ``recipe.config_for`` settings of ``task``: ``ner`` (CoNLL-2003) or ``classify`` (SST-2)."""
        if task not in ("ner", "classify"):
            raise ValueError(f"task {task!r}: expected 'ner' (CoNLL-2003) or 'classify' (SST-2)")
        if task == "ner":
            return {"train_limit": self.conll_train, "eval_limit": self.conll_dev,
                    "epochs": self.conll_epochs}
        return {"train_limit": self.sst2_train, "eval_limit": self.sst2_dev,
                "epochs": self.sst2_epochs}

    def used(self, task: str, splits) -> dict:
        """How many training and dev rows of ``splits`` the plan uses for ``task``.

        >>> BENCHMARK_PLAN["smoke"].used("ner", {"train": range(14041), "validation": range(300)})
        {'train': 600, 'dev': 300}
        """
        changes = self.changes(task)
        return {name: min(len(splits[split]), changes[limit] or len(splits[split]))
                for name, split, limit in (("train", "train", "train_limit"),
                                           ("dev", "validation", "eval_limit"))}

    @property
    def full_data(self) -> bool:
        """True when it trains on everything and scores all of dev, as long as the full runs."""
        return self == BENCHMARK_PLAN["full"]


# smoke: a check that the path works (about a minute on a 2-core CPU, lessons/A1_benchmarks.md);
# cpu: a few minutes; full: everything (a GPU run), comparable with the full-data figures below.
BENCHMARK_PLAN = {
    "smoke": BenchmarkPlan(conll_train=600, conll_dev=500, conll_epochs=1,
                           sst2_train=800, sst2_dev=None, sst2_epochs=1),
    "cpu": BenchmarkPlan(conll_train=2000, conll_dev=None, conll_epochs=3,
                         sst2_train=4000, sst2_dev=None, sst2_epochs=1),
    "full": BenchmarkPlan(conll_train=None, conll_dev=None, conll_epochs=3,
                          sst2_train=None, sst2_dev=None, sst2_epochs=1),
    # a subset, for make rehearse (env.plan_name): the path of the full plan, not its numbers;
    # MiniLM's first two layers stayed below the majority label on SST-2 after one epoch of 400
    # or of 4,000 texts (dev accuracy 0.485), so they get two
    "rehearsal": BenchmarkPlan(conll_train=300, conll_dev=200, conll_epochs=3,
                               sst2_train=4000, sst2_dev=None, sst2_epochs=2),
}


def benchmark_plan(profile: str) -> BenchmarkPlan:
    """The appendix's plan for ``profile``, or for ``$COURSE_PLAN`` (``env.plan_name``).

    >>> benchmark_plan("smoke").conll_train
    600
    """
    return BENCHMARK_PLAN[plan_name(profile)]


@dataclass(frozen=True)
class Reference:
    """A score to set a benchmark run beside, and where it comes from."""

    benchmark: str  # "CoNLL-2003" or "SST-2"
    metric: str  # what was scored, on which split
    score: float  # 0 to 1
    model: str
    trained_on: str
    source: str


_MINILM = "all-MiniLM-L6-v2"
REFERENCES = (
    Reference("CoNLL-2003", "entity F1, dev", 0.964, "BERT-base (cased)",
              "all 14,041 sentences, with document context", "BERT paper (Devlin et al. 2019), §5.3"),
    Reference("CoNLL-2003", "entity F1, test (held out here)", 0.924, "BERT-base (cased)",
              "all 14,041 sentences, with document context", "BERT paper (Devlin et al. 2019), §5.3"),
    Reference("CoNLL-2003", "entity F1 (strict), dev", 0.9113, _MINILM,
              "all 14,041 sentences, 3 epochs, HF Trainer, lr 1e-4",
              "course team's reference (shared/README.md)"),
    Reference("CoNLL-2003", "entity F1 (strict), dev", 0.9279, _MINILM,
              "all 14,041 sentences, 3 epochs, course loop (its defaults)",
              "course loop, measured (README.md, Results)"),
    Reference("SST-2", "accuracy, GLUE test server", 0.935, "BERT-base",
              "all 67,349 rows", "BERT paper (Devlin et al. 2019), Table 1"),
    Reference("SST-2", "accuracy, official dev (held out here)", 0.893, _MINILM,
              "all 67,349 rows, 1 epoch, HF Trainer, lr 5e-5",
              "course team's reference (shared/README.md)"),
    Reference("SST-2", "accuracy, 872 held-out train sentences", 0.873, _MINILM,
              "59,213 rows, 1 epoch, HF Trainer, lr 5e-5", "HF Trainer, measured (README.md, Results)"),
    Reference("SST-2", "accuracy, 872 held-out train sentences", 0.876, _MINILM,
              "59,213 rows, 1 epoch, course loop (its defaults)",
              "course loop, measured (README.md, Results)"),
)


# The commands of the course loop's measured full runs above (the CLI fills in the course's recipe).
BENCHMARK_COMMANDS = {
    "CoNLL-2003": "python -m helpers.train ner --train conll2003 --model minilm",
    "SST-2": "python -m helpers.train classify --train sst2 --model minilm --epochs 1",
}


def benchmark_table(runs: Iterable[Reference] = ()) -> pd.DataFrame:
    """``REFERENCES`` and ``runs`` (a notebook's own results) in one table, by benchmark.

    >>> table = benchmark_table()
    >>> table.loc[table["source"].str.startswith("BERT paper"), "score"].tolist()
    [0.964, 0.924, 0.935]
    """
    import pandas as pd

    rows = pd.DataFrame([asdict(r) for r in (*REFERENCES, *runs)])
    order = {name: k for k, name in enumerate(dict.fromkeys(r.benchmark for r in REFERENCES))}
    return rows.sort_values("benchmark", key=lambda b: b.map(order), kind="stable") \
        .reset_index(drop=True)


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
