"""A model folder checked whole before anything uses it (training from it, predicting,
serving): a folder that would load as something else than what was saved is refused with a
``hub.ModelError`` naming the file and what was expected.

    >>> import tempfile
    >>> check_model_folder(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.hub.ModelError: ...: no weights as safetensors (expected one of model.safetensors, ...)

Imports: ``hub`` (its model error, the model's resolution), ``recipe`` (the run config's fields).
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.hub import ModelChoice, ModelError, resolve_model
from helpers.recipe import check_saved_config

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer.model", "spiece.model", "vocab.json")
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors")


def check_model_folder(folder, kind: str | None = None) -> None:
    """Refuse a model folder that would load as something else than what was saved: without
    tokenizer files transformers 5 builds a five-token tokenizer and every word becomes [UNK];
    a tokenizer of another vocabulary than the embeddings, a token-classification label map
    outside IOB2, a ``run_config.json`` with fields of the wrong type, or weights that are not
    safetensors. ``kind="token"`` (a tagger to serve) asks for the IOB2 label map even without
    a run config. Each ``ModelError`` names the file and what was expected."""
    folder = Path(folder)
    config = {}
    if (folder / "config.json").is_file():
        config = _json(folder / "config.json", "a model config")
    if not any((folder / name).is_file() for name in WEIGHTS):
        raise ModelError(f"{folder}: no weights as safetensors (expected one of {', '.join(WEIGHTS)}; "
                         "the course loads no pickled weights)")
    for weights in sorted(folder.glob("*.safetensors")):
        try:
            from safetensors import safe_open

            with safe_open(str(weights), "pt"):
                pass
        except Exception as err:  # noqa: BLE001 - any reason: the file is not whole
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise ModelError(f"{weights}: not a whole safetensors file ({reason}); copy or save "
                             "the model again") from None
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ModelError(f"{folder}: no tokenizer (none of {', '.join(TOKENIZER_FILES)}): without "
                         "one every word would be read as [UNK]; copy the tokenizer files of the "
                         "model it was trained from into the folder")
    tokens, vocab = _tokenizer_size(folder), config.get("vocab_size")
    if tokens and isinstance(vocab, int) and not vocab // 2 <= tokens <= vocab:
        raise ModelError(f"{folder}: the tokenizer has {tokens:,} tokens but config.json's vocab_size "
                         f"is {vocab:,}: expected the tokenizer saved with these embeddings")
    run = _json(folder / "run_config.json", "run settings") if (folder / "run_config.json").is_file() else {}
    try:
        check_saved_config(run, str(folder / "run_config.json"))
    except ValueError as err:
        raise ModelError(str(err)) from None
    if run.get("task") == "ner" or kind == "token":
        labels = [str(v) for v in (config.get("id2label") or {}).values()]
        wrong = [t for t in labels if t != "O" and not (t[:2] in ("B-", "I-") and len(t) > 2)]
        if not labels or wrong:
            raise ModelError(f"{folder / 'config.json'}: id2label is no IOB2 label map (expected 'O', "
                             f"'B-TYPE', 'I-TYPE'; found {', '.join(wrong[:3]) or 'none'})")


def _json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path}: not {what} ({err})") from None


def _tokenizer_size(folder: Path) -> int | None:
    """Tokens the folder's tokenizer knows (tokenizer.json, else vocab.txt), or None."""
    if (folder / "tokenizer.json").is_file():
        data = _json(folder / "tokenizer.json", "a tokenizer")
        if not isinstance(data, dict):
            raise ModelError(f"{folder / 'tokenizer.json'}: not a tokenizer (expected a JSON object)")
        vocab = (data.get("model") or {}).get("vocab")
        added = [t.get("id") for t in data.get("added_tokens") or [] if isinstance(t, dict)]
        return max([len(vocab) if isinstance(vocab, (list, dict)) else 0,
                    *[i + 1 for i in added if isinstance(i, int)]])
    if (folder / "vocab.txt").is_file():
        return len((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
    return None


def resolve_checked(requested: str | None = None) -> ModelChoice:
    """``hub.resolve_model``, and a local folder checked whole (``check_model_folder``)."""
    choice = resolve_model(requested)
    if choice.source == "local":
        check_model_folder(choice.path)
    return choice
