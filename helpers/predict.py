"""Prediction: raw text (or a list of words) in, entities with character offsets out.

    >>> ner = NerPredictor("build/models/ner-smoke/best")            # doctest: +SKIP
    >>> ner("took 400 mg ibuprofen since Tuesday")                      # doctest: +SKIP
    [{'text': '400 mg', 'type': 'DOSAGE', 'start': 5, 'end': 11, 'score': 0.98}, ...]

Texts longer than the model's window are read in overlapping windows (``stride``); each word
takes its prediction from the window in which it sits furthest from an edge, so every word of
any length of text gets a tag with context on both sides.
"""

from __future__ import annotations

from pathlib import Path


class NerPredictor:
    """A fine-tuned token classifier (a folder saved by the course's loop) ready for raw text."""

    def __init__(self, model_dir: str | Path, device: str | None = None, max_length: int = 128,
                 stride: int = 32):
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        from helpers.env import pick_device, quiet_transformers
        from helpers.train import saved_run_config

        with quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
            self.model = AutoModelForTokenClassification.from_pretrained(model_dir)
        self.device = torch.device(device or pick_device())
        self.model.to(self.device).eval()
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.max_length, self.stride = max_length, stride
        run = saved_run_config(model_dir)  # inputs and precision as in training
        self.case_feature, self.precision = run.get("case_feature", False), run.get("precision")

    def tag_words(self, words: list[str]) -> tuple[list[str], list[float]]:
        """One IOB2 tag and its probability per word (first piece), over sliding windows."""
        import torch

        if not words:
            return [], []
        encoding = self.tokenizer(words, is_split_into_words=True, truncation=True,
                                  max_length=self.max_length, stride=self.stride,
                                  return_overflowing_tokens=True, padding=True,
                                  return_tensors="pt")
        inputs = {"input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"]}
        if self.case_feature:
            from helpers.align import case_type_ids

            windows = range(len(encoding["input_ids"]))
            inputs["token_type_ids"] = torch.tensor(
                [case_type_ids(words, encoding.word_ids(w)) for w in windows])
        from helpers.env import inference

        with inference(self.device, self.precision):
            logits = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits
        probs = logits.float().softmax(-1).cpu()
        best: dict[int, tuple[int, int, int]] = {}  # word -> (distance from edge, window, pos)
        for window in range(probs.shape[0]):
            ids = encoding.word_ids(window)
            real = [p for p, w in enumerate(ids) if w is not None]
            previous = None
            for position, word in enumerate(ids):
                if word is None or word == previous:
                    previous = word
                    continue
                previous = word
                margin = min(position - real[0], real[-1] - position)
                if word not in best or margin > best[word][0]:
                    best[word] = (margin, window, position)
        tags, scores = [], []
        for word in range(len(words)):
            _, window, position = best[word]
            p, label = probs[window, position].max(-1)
            tags.append(self.labels[int(label)])
            scores.append(float(p))
        return tags, scores

    def __call__(self, text: str | list[str]) -> list[dict]:
        """Entities in ``text`` (a string, or a list of words) with offsets into it."""
        from helpers.data import entity_spans, word_spans

        if isinstance(text, str):
            spans = word_spans(text)
            words = [w for w, _, _ in spans]
        else:
            words = list(text)
            spans, position = [], 0
            for w in words:  # offsets into " ".join(words)
                spans.append((w, position, position + len(w)))
                position += len(w) + 1
            text = " ".join(words)
        tags, scores = self.tag_words(words)
        return [{"text": text[spans[s][1]:spans[e - 1][2]], "type": kind,
                 "start": spans[s][1], "end": spans[e - 1][2],
                 "score": round(sum(scores[s:e]) / (e - s), 3)}
                for kind, s, e in entity_spans(tags)]
