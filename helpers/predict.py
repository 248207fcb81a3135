"""All inference: batched prediction on tokenised data sets, and raw text in, entities out.

* ``batches_by_length``: the batching every prediction loop uses (shortest first, little padding);
* ``predict_tags``: word-level NER tags of a model for a tokenised data set (the dev scorer);
* ``predict_proba``: class-1 probabilities of a classifier for a tokenised data set;
* ``predict_dataset``: the tags of a *saved* NER model for a data set, inputs built as in training;
* ``NerPredictor``: the one inference API: texts (or lists of words) in, batched, any length,
  entities with character offsets, type and score out;
* ``try_it_widget``: a text box that shows the predictor's entities as the learner types.

    >>> ner = NerPredictor("build/models/ner-smoke/best")            # doctest: +SKIP
    >>> ner("took 400 mg ibuprofen since Tuesday")                      # doctest: +SKIP
    [{'text': '400 mg', 'type': 'DOSAGE', 'start': 5, 'end': 11, 'score': 0.98}, ...]

Every loop runs without gradients in the precision the model was trained in
(``device.inference``). Every word gets exactly one tag, and a word never takes another's: a
word the tokenizer turns into no piece (a lone variation selector or accent, a zero-width
space, a control character, an empty string) is ``O`` (score 1.0), so it is never part of an
entity, and the words after it keep their own tags. Words reach the tokenizer in NFC
(``align.model_words``), as in training; offsets always index the text the caller passed.

Imports: ``align``, ``annotate``, ``checkpoint``, ``device``, ``tagging``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.align import case_type_ids, first_pieces, model_words, tokenize_and_align
from helpers.annotate import highlight_html
from helpers.checkpoint import load_model
from helpers.device import inference, pick_device
from helpers.tagging import entity_spans, tokenize_words, word_spans


def batches_by_length(tokenized, collator, batch_size: int = 64):
    """Yield ``(row indices, collated batch)`` over a tokenised dataset, shortest first, so each
    batch needs little padding. The collator gets rows as the dataset's format gives them
    (``align.tokenize_and_align`` keeps ``first_piece`` out of rows)."""
    lengths = [len(ids) for ids in tokenized["input_ids"]]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield rows, collator([tokenized[i] for i in rows])


def _logits(model, batch):
    device = next(model.parameters()).device
    return model(**{k: v.to(device) for k, v in batch.items()}).logits


def predict_tags(model, tokenized, collator, label_names: list[str], batch_size: int = 64,
                 word_counts: list[int] | None = None, precision: str | None = None
                 ) -> list[list[str]]:
    """Word-level predicted tags for a tokenised NER dataset, one per word: the prediction at
    the word's first piece, ``O`` for a word with no piece or one cut off by truncation (the
    ``first_piece`` column of ``align.tokenize_and_align``).

    A dataset aligned elsewhere (no ``first_piece``) gets the predictions at its labelled
    positions, padded with ``O`` to ``word_counts`` when given; that cannot tell a word with no
    piece from one cut off at the end. ``word_counts`` that disagree with the data set raise.
    """
    model.eval()
    firsts = first_pieces(tokenized)
    results: list = [None] * len(tokenized)
    with inference(next(model.parameters()).device, precision):
        for rows, batch in batches_by_length(tokenized, collator, batch_size):
            labels = batch.pop("labels")
            # first_piece positions count real tokens, so either padding side works
            real = batch.get("attention_mask", labels.new_ones(labels.shape)).bool()
            predicted = _logits(model, batch).argmax(dim=-1).cpu()
            for row, pred, gold, mask in zip(rows, predicted, labels, real):
                if firsts is None:
                    results[row] = [label_names[i] for i in pred[gold != -100].tolist()]
                else:
                    ids = pred[mask].tolist()
                    results[row] = [label_names[ids[p]] if p >= 0 else "O" for p in firsts[row]]
    if word_counts is not None:
        for row, (tags, n) in enumerate(zip(results, word_counts)):
            if len(tags) > n:
                raise ValueError(f"predict_tags: example {row} has {len(tags)} tagged words but "
                                 f"word_counts says {n}: were both made from the same data set?")
        results = [tags + ["O"] * (n - len(tags)) for tags, n in zip(results, word_counts)]
    return results


def predict_proba(model, tokenized, collator, batch_size: int = 64,
                  precision: str | None = None) -> np.ndarray:
    """Probability of class 1 for every example of a tokenised classification dataset."""
    model.eval()
    probs = np.zeros(len(tokenized))
    with inference(next(model.parameters()).device, precision):
        for rows, batch in batches_by_length(tokenized, collator, batch_size):
            batch.pop("labels", None)
            # logits are (batch, classes): the class axis is -1 (the articles' argmax(dim=2) fails)
            probs[rows] = _logits(model, batch).float().softmax(-1)[:, 1].cpu().numpy()
    return probs


def predict_dataset(model_dir, dataset, max_length: int = 128, batch_size: int = 64
                    ) -> list[list[str]]:
    """Word-level predicted tags of a saved model for a NER ``Dataset`` (tokens, ner_tags),
    inputs built as in training (document context, case feature: the saved run config)."""
    from transformers import DataCollatorForTokenClassification

    model, tokenizer, run = load_model(model_dir, "token", pick_device())
    tokenized, _ = tokenize_and_align(dataset, tokenizer, max_length,
                                      context=run.get("context", False),
                                      case_feature=run.get("case_feature", False))
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return predict_tags(model, tokenized, DataCollatorForTokenClassification(tokenizer), names,
                        batch_size, word_counts=[len(t) for t in dataset["tokens"]],
                        precision=run.get("precision"))


class NerPredictor:
    """A fine-tuned token classifier (a folder saved by the course's loop) ready for raw text:
    the one inference API of the course (the notebooks, the service and the web demo call it).

    ``predict(texts)`` takes a batch of texts (or lists of words) and returns, per text, its
    entities with character offsets, type and score. Texts longer than the model's window are
    read in overlapping windows (``stride``); each word takes its prediction from the window in
    which it sits furthest from an edge, so every word of any length of text gets a tag with
    context on both sides. A word with no piece is ``O`` with score 1.0 (see the module's
    docstring). Inputs and precision are those of the saved run (case feature, precision);
    ``forward`` (inputs in, logits out) is what ``runtime.load_variant`` swaps for ONNX Runtime
    (for PyTorch int8 it swaps the model).
    """

    def __init__(self, model_dir: str | Path, device: str | None = None, max_length: int = 128,
                 stride: int = 32, precision: str | None = None):
        import torch

        self.device = torch.device(device or pick_device())
        self.model, self.tokenizer, run = load_model(model_dir, "token", self.device)
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.max_length, self.stride = max_length, stride
        # inputs and precision as in training, unless a precision is asked for
        self.case_feature = run.get("case_feature", False)
        self.precision = precision or run.get("precision")
        self.forward = self.eager_forward

    def eager_forward(self, inputs: dict) -> torch.Tensor:  # noqa: F821
        """Logits (float, on the CPU) of the PyTorch model for a padded batch of windows."""
        with inference(self.device, self.precision):
            logits = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits
        return logits.float().cpu()

    def tag_batch(self, word_lists: list[list[str]], batch_size: int = 32
                  ) -> list[tuple[list[str], list[float]]]:
        """One IOB2 tag and its probability per word (first piece) for each list of words, over
        sliding windows, ``batch_size`` windows per forward pass; ``O`` with probability 1.0
        for a word with no piece."""
        results: list[tuple[list[str], list[float]]] = [([], []) for _ in word_lists]
        todo = [i for i, words in enumerate(word_lists) if words]
        if not todo:
            return results
        texts = [model_words(word_lists[i]) for i in todo]
        encoding = self.tokenizer(texts, is_split_into_words=True, truncation=True,
                                  max_length=self.max_length, stride=self.stride,
                                  return_overflowing_tokens=True)
        owners = list(encoding["overflow_to_sample_mapping"])
        probs = self._window_probs(texts, encoding, owners, batch_size)
        for k, i in enumerate(todo):
            windows = [w for w, owner in enumerate(owners) if owner == k]
            tags, scores = results[i]
            for best in self._best_windows(encoding, windows, len(texts[k])):
                if best is None:  # no piece: nothing of the word reaches the model
                    tags.append("O")
                    scores.append(1.0)
                    continue
                p, label = probs[best[0]][best[1]].max(-1)
                tags.append(self.labels[int(label)])
                scores.append(float(p))
        return results

    def tag_words(self, words: list[str]) -> tuple[list[str], list[float]]:
        """``tag_batch`` for one list of words."""
        return self.tag_batch([words])[0]

    def _window_probs(self, texts, encoding, owners, batch_size: int) -> list:
        """Per window, its pieces' label probabilities (pieces x labels), from forward passes of
        ``batch_size`` windows, shortest first (little padding)."""
        features = []
        for window, owner in enumerate(owners):
            ids = encoding["input_ids"][window]
            word_ids = encoding.word_ids(window)
            types = case_type_ids(texts[owner], word_ids) if self.case_feature else [0] * len(ids)
            features.append({"input_ids": ids, "attention_mask": [1] * len(ids),
                             "token_type_ids": types})
        order = sorted(range(len(features)), key=lambda w: len(features[w]["input_ids"]))
        probs: list = [None] * len(features)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = self.tokenizer.pad([features[w] for w in rows], return_tensors="pt")
            window_probs = self.forward(dict(batch)).softmax(-1)
            for row, p in zip(rows, window_probs):
                probs[row] = p[:len(features[row]["input_ids"])]
        return probs

    @staticmethod
    def _best_windows(encoding, windows: list[int], n_words: int) -> list[tuple[int, int] | None]:
        """For each word, the (window, position of its first piece) furthest from a window edge;
        ``None`` for a word with no piece."""
        best: dict[int, tuple[int, int, int]] = {}  # word -> (distance from edge, window, pos)
        for window in windows:
            ids = encoding.word_ids(window)
            real = [p for p, w in enumerate(ids) if w is not None]
            previous = None
            for position, word in enumerate(ids):
                if word is not None and word != previous:
                    margin = min(position - real[0], real[-1] - position)
                    if word not in best or margin > best[word][0]:
                        best[word] = (margin, window, position)
                previous = word
        return [best[word][1:] if word in best else None for word in range(n_words)]

    def predict(self, texts: list[str | list[str]], batch_size: int = 32) -> list[list[dict]]:
        """Entities of each text (a string, or a list of words), with offsets into it:
        ``{"text", "type", "start", "end", "score"}``, the score the mean probability of the
        entity's words."""
        spans = [_spans(text) for text in texts]
        tagged = self.tag_batch([[w for w, _, _ in s] for s in spans], batch_size)
        return [_entities(" ".join(t) if not isinstance(t, str) else t, s, tags, scores)
                for t, s, (tags, scores) in zip(texts, spans, tagged)]

    def __call__(self, text: str | list[str]) -> list[dict]:
        """Entities in one text (a string, or a list of words) with offsets into it."""
        return self.predict([text])[0]


def _spans(text: str | list[str]) -> list[tuple[str, int, int]]:
    """(word, start, end) of a text's words; a list of words counts as ``" ".join(words)``."""
    if isinstance(text, str):
        return word_spans(text)
    spans, position = [], 0
    for word in text:
        spans.append((word, position, position + len(word)))
        position += len(word) + 1
    return spans


def _entities(text: str, spans, tags: list[str], scores: list[float]) -> list[dict]:
    return [{"text": text[spans[s][1]:spans[e - 1][2]], "type": kind,
             "start": spans[s][1], "end": spans[e - 1][2],
             "score": round(sum(scores[s:e]) / (e - s), 3)}
            for kind, s, e in entity_spans(tags)]


def try_it_widget(predictor: NerPredictor, text: str = ""):
    """A text box and the entities the predictor finds in it, updated as the learner types."""
    import ipywidgets as widgets

    box = widgets.Textarea(value=text, layout=widgets.Layout(width="100%"))
    shown = widgets.HTML()

    def show(_=None):
        words = tokenize_words(box.value)
        shown.value = highlight_html(words, predictor.tag_words(words)[0])

    box.observe(show, names="value")
    show()
    return widgets.VBox([widgets.Label("Type a health log:"), box, shown])
