"""Named-entity recognition on the course's one training loop (``train.fit``).

* ``Scorer``: the dev scorer the loop calls after every epoch (strict IOB2 entity F1);
* ``train_ner``: the whole run: tokenise and align (``TrainingStopped`` when ``max_length``
  leaves no labelled word), fine-tune, reload the best checkpoint, score dev and test, return
  the predicted tags with the scores (``NerResult``);
* ``load_splits``: CoNLL files, or CoNLL-2003 by name (``corpora.load_conll2003``: the local
  benchmark files, else the hub), for the command line.

Imports: ``align``, ``checkpoint``, ``corpora``, ``distributed``, ``evaluate``, ``formats``, ``hub``,
``predict``, ``recipe``, ``tagging``, ``train``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.align import IGNORE, tokenize_and_align
from helpers.checkpoint import load_model
from helpers.corpora import load_conll2003
from helpers.distributed import map_sharded, process_device
from helpers.evaluate import entity_scores
from helpers.formats import read_conll
from helpers.hub import quiet_transformers
from helpers.predict import predict_tags
from helpers.recipe import NerConfig
from helpers.tagging import iob2_labels, label_names, tag_strings
from helpers.train import RunResult, TrainingStopped, fit, start_run

HUB_NAMES = ("conll2003", "eriktks/conll2003")


@dataclass
class NerResult(RunResult):
    """``RunResult`` plus what NER adds: truncation per split and the predicted tags."""

    truncation: dict = field(default_factory=dict)  # split -> how many words were cut off
    dev_tags: list = field(default_factory=list)  # predicted IOB2 tags per dev sentence
    test_tags: list | None = None


class Scorer:
    """``scorer(model) -> {"f1", "precision", "recall"}`` on one split (strict IOB2 entity
    scores, one prediction per word: its first piece); ``scorer.tags`` keeps the last tags.
    Under a launcher the processes share the sentences out and gather the tags, so each gets
    the same scores from every sentence, tagged once (``distributed.map_sharded``)."""

    def __init__(self, dataset, tokenized, collator, batch_size: int = 64,
                 precision: str | None = None):
        self.names, self.gold = label_names(dataset), tag_strings(dataset)  # once, not per epoch
        self.tokenized, self.collator = tokenized, collator
        self.batch_size, self.precision = batch_size, precision
        self.tags: list[list[str]] = []

    def __call__(self, model) -> dict:
        counts = [len(g) for g in self.gold]
        self.tags = map_sharded(  # several processes: each tags its share, all get all the tags
            lambda start, stop: predict_tags(
                model, self.tokenized.select(range(start, stop)), self.collator, self.names,
                self.batch_size, word_counts=counts[start:stop], precision=self.precision),
            len(self.gold))
        overall = entity_scores(self.gold, self.tags).loc["overall"]
        return {"f1": float(overall["f1"]), "precision": float(overall["precision"]),
                "recall": float(overall["recall"])}


def train_ner(config: NerConfig, splits, resume: bool = False, callbacks=()) -> NerResult:
    """Fine-tune a token classifier on ``splits`` (train/validation[/test] NER datasets); the
    best checkpoint is reloaded to score dev and test. ``callbacks`` go to ``train.fit``."""
    from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

    choice, splits, tokenizer = start_run(config, splits)
    names = splits["train"].features["ner_tags"].feature.names
    tokenized, truncation = {}, {}
    for name, ds in splits.items():
        tokenized[name], truncation[name] = tokenize_and_align(
            ds, tokenizer, config.max_length, config.label_all_subtokens, config.context,
            config.case_feature)
    check_labels_fit(tokenized["train"], truncation["train"], config.max_length)
    with quiet_transformers():  # the new classification head is expected to be untrained
        model = AutoModelForTokenClassification.from_pretrained(
            choice.path, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)})
    if config.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    collator = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=None)
    scorers = {name: Scorer(splits[name], tokenized[name], collator, config.eval_batch_size,
                            config.precision) for name in splits if name != "train"}
    history = fit(model, tokenizer, tokenized["train"], collator, scorers["validation"], config,
                  label_names=names, resume=resume, callbacks=callbacks)

    best_dir = Path(config.output_dir) / "best"
    best, _, _ = load_model(best_dir, "token", process_device())
    result = NerResult(history, str(best_dir), choice.short_name, scorers["validation"](best),
                       truncation={k: str(v) for k, v in truncation.items()},
                       dev_tags=scorers["validation"].tags)
    if "test" in scorers:
        result.test, result.test_tags = scorers["test"](best), scorers["test"].tags
    return result


def check_labels_fit(tokenized, truncation, max_length: int) -> None:
    """``TrainingStopped`` when no training word keeps a label after tokenising: every label is
    -100, so the loss is undefined (nan) and nothing can be learned; the cause is ``max_length``,
    not the learning rate."""
    if truncation.words and not any(label != IGNORE for row in tokenized["labels"] for label in row):
        raise TrainingStopped(
            f"no labelled word of the training data fits in max_length={max_length} sub-word "
            f"tokens ({truncation}); use a larger max_length (--max-length), e.g. 128")


def load_splits(train: str, validation: str | None, test: str | None = None,
                types: list[str] | None = None) -> dict:
    """CoNLL files as train/validation[/test] datasets with one label list (``types`` in
    label order, else the labels found in ``train``), or CoNLL-2003 by name (``HUB_NAMES``):
    the local benchmark files, else the hub, else ``corpora.BenchmarkUnavailable``."""
    if train in HUB_NAMES:
        dataset, _ = load_conll2003()
        return dict(dataset)
    first = read_conll(train, iob2_labels(types) if types else None)
    labels = first.features["ner_tags"].feature.names
    splits = {"train": first, "validation": read_conll(validation, labels)}
    if test:
        splits["test"] = read_conll(test, labels)
    return splits
