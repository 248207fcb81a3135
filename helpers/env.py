"""What a notebook starts with: the run profile, and ``setup()``, which decides everything once.

Every notebook starts with ``env.setup()``; the CLI and the tests call the same functions, so
there is one place that decides "which model, on which device, with how much data". Also home
of ``REPO_ROOT``, the course folder other modules build their paths from. Imports
``helpers.device`` and ``helpers.hub``.

    >>> from helpers import env
    >>> cfg = env.setup()                      # doctest: +SKIP
    >>> env.get_profile("smoke").train_limit
    400

Imports: ``device``, ``hub``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers.device import (
    cpu_count,
    env_precision,
    env_threads,
    is_colab,
    pick_device,
    pick_precision,
    seed_everything,
    set_threads,
)
from helpers.hub import (
    BUNDLED_MODEL,
    BUNDLED_SHORT_NAME,
    DEFAULT_MODEL,
    ModelChoice,
    check_hub,
    resolve_model,
)

PROFILES = ("smoke", "cpu", "full")
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
    # training sentences / texts of the side experiments (04 §5, 06 §5-6: `recipe.experiment_config`)
    experiment_limit: int | None
    epochs: int
    batch_size: int
    max_length: int
    why: str = ""


# The model is chosen by the machine (the profile), never by the network: the network only
# decides whether bert-base-cased can be downloaded for `full`; offline the bundled MiniLM loads.
_PROFILE_TABLE = {
    # CI and quick checks: a small real run that must still learn (asserted in the notebooks).
    "smoke": dict(model=BUNDLED_MODEL, train_limit=400, eval_limit=None, experiment_limit=200,
                  epochs=3, batch_size=16, max_length=128),
    # A laptop without a GPU: the course's corpora whole for the models that are kept, the bundled
    # MiniLM (about 8x less computation per token than bert-base-cased), and the side experiments
    # on 600 examples, so the course ends in the time README gives.
    "cpu": dict(model=BUNDLED_MODEL, train_limit=4000, eval_limit=None, experiment_limit=600,
                epochs=3, batch_size=32, max_length=128),
    # A GPU (Colab T4 or better): every example everywhere, bert-base-cased when it can be downloaded.
    "full": dict(model=DEFAULT_MODEL, train_limit=None, eval_limit=None, experiment_limit=None,
                 epochs=3, batch_size=32, max_length=256),
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


# The plans of runs (notebook 08's experiments, the appendix's benchmark sizes) follow the profile;
# `rehearsal` is the `full` plans' shape (their seeds, rounds and sizes per step) at a CPU's scale,
# which `make rehearse` runs in CI with the full profile, so every branch of a GPU run executes.
PLANS = PROFILES + ("rehearsal",)


def plan_name(profile: str) -> str:
    """Which plan of runs a notebook uses: ``$COURSE_PLAN`` when set, else the profile's own.

    >>> plan_name("cpu")
    'cpu'
    """
    chosen = os.environ.get("COURSE_PLAN", "").strip().lower() or profile
    if chosen not in PLANS:
        raise ValueError(f"COURSE_PLAN={chosen!r} is not a plan; expected one of {', '.join(PLANS)}")
    return chosen


# --------------------------------------------------------------------------- what it costs here
@dataclass(frozen=True)
class Measured:
    """One measured time of ``make course``: seconds, the model and where it was measured."""

    seconds: float
    model: str
    where: str


# The learner's paths: profile, device, precision (a Colab T4 trains in fp16, newer GPUs in bf16;
# CPUs in bf16 where they have it natively, else fp32).
PATHS = (("smoke", "cpu", "fp32"), ("smoke", "cpu", "bf16"), ("cpu", "cpu", "fp32"),
         ("cpu", "cpu", "bf16"), ("full", "cpu", "fp32"), ("full", "cuda", "bf16"),
         ("full", "cuda", "fp16"))
# `make course` (notebooks 00-08 and the appendix), measured whole, alone on the machine; keyed
# like PATHS. A path nobody has measured has no entry and is said to be "not measured": no GPU
# time exists until a GPU has measured it.
COURSE_TIMES: dict[tuple[str, str, str], Measured] = {
    ("cpu", "cpu", "fp32"): Measured(1850.0, BUNDLED_SHORT_NAME,
                                     "2-core AMD EPYC without native bf16, alone, 2026-12-07, "
                                     "side experiments on 600 examples"),
}


def expected_time(profile: str, device: str, precision: str, model_source: str = "bundled") -> str:
    """What the whole course is expected to take on this kind of machine, from ``COURSE_TIMES``
    (measured with the bundled MiniLM: another model has no measured time).

    >>> expected_time("full", "cuda", "fp16")
    "make course in 'full' on cuda (fp16): not measured yet; notebook 00 measures this machine's speed"
    """
    measured = COURSE_TIMES.get((profile, device, precision))
    if measured is None or model_source != "bundled" or measured.model != BUNDLED_SHORT_NAME:
        return (f"make course in '{profile}' on {device} ({precision}): not measured yet; notebook 00 "
                "measures this machine's speed")
    return (f"make course in '{profile}' on {device} ({precision}): {measured.seconds / 60:.0f} min "
            f"measured ({measured.where})")


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
        """Profile, device, precision, threads and seed; hub state; model and why (lines)."""
        hub = "online" if self.online else "offline"
        lines = [
            f"Profile {self.profile.name} ({self.profile.why}) · {self.device} · "
            f"{self.precision} · {self.threads} threads · seed {self.seed}",
            f"Hub: {hub} ({self.online_reason}).",
            f"Model: {self.model.short_name}: {self.model.reason}.",
            "Expected: " + expected_time(self.profile.name, self.device, self.precision,
                                         self.model.source) + ".",
        ]
        if self.model.consequences and self.model.requested != BUNDLED_MODEL:
            lines.append(f"What that changes: {self.model.consequences}")
        if plan_name(self.profile.name) != self.profile.name:
            lines.append(f"Plan of runs: {plan_name(self.profile.name)} ($COURSE_PLAN), not the "
                         f"'{self.profile.name}' profile's own.")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Every field as plain dicts and values (``dataclasses.asdict``)."""
        return asdict(self)


def course_seed() -> int:
    """``$COURSE_SEED`` as an integer from 0 to 2**32 - 1 (default 42; the range NumPy's seed
    takes); a ``ValueError`` naming the variable otherwise."""
    raw = os.environ.get("COURSE_SEED", "42").strip()
    try:
        seed = int(raw)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise ValueError(f"COURSE_SEED={raw!r} is not a whole number from 0 to {2**32 - 1}")
    return seed


def setup(profile: str | None = None, seed: int | None = None, quiet: bool = False) -> CourseEnv:
    """Decide and apply everything a notebook needs; print a short summary.

    ``seed`` defaults to ``$COURSE_SEED``, else 42 (``make course`` with other seeds is how
    the expected ranges in ``course.EXPECTED`` were measured). Refuses a bad ``$COURSE_THREADS``
    or ``$COURSE_PRECISION`` first (one ``ValueError`` naming it), checks the hub once with one
    short request to its API (``hub.check_hub``; offline mode is switched on when the hub does
    not answer, so later hub calls fail at once instead of retrying for a minute), picks device
    and precision, sets threads (on CPU) and seeds, and resolves the profile's model (a
    ``$COURSE_MODEL`` path that holds no model is a ``hub.ModelError``).
    """
    env_threads(), env_precision()  # a bad COURSE_THREADS / COURSE_PRECISION: said first, on any device
    device = pick_device()
    prof = get_profile(profile, device=device)
    plan_name(prof.name)  # a bad COURSE_PLAN: said now, before any training
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
