"""The online path, rehearsed at its one seam, the network: tests/hub_double.py is a local HTTP
server that answers like the Hugging Face hub, and the course runs against it as a learner's
machine runs online (``HF_ENDPOINT`` pointing at it, a fresh ``HF_HOME``, no offline flag).

The code under test runs in subprocesses with a cleaned environment: tests/conftest.py puts this
process offline (``HF_HUB_OFFLINE=1``) and ``hub.go_offline`` flips the libraries' flags in
process, so nothing online could be trusted here. The double serves the bundled MiniLM's files
under the id ``bert-base-cased`` (the real bert-base-cased is not on this machine): the same
weights as the offline fallback, so an online run and an offline one can be compared.

Each test asserts what was downloaded, and that nothing but the served repo was asked.
Notebook 04 (smoke profile, trained twice) is most of the time: 13-16 min measured on a 2-core
CPU that other jobs shared (load about 5); the other tests take under 2 min there.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hub_double import HubDouble  # tests/hub_double.py (pytest puts tests/ on sys.path)

from helpers.corpora import HEALTH_NER_SOURCE
from helpers.env import REPO_ROOT
from helpers.hub import BUNDLED_MODEL, DEFAULT_MODEL, bundled_model_path, hub_reachable

# What a BERT checkpoint on the hub holds for transformers: config, weights, tokenizer.
MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "vocab.txt", "special_tokens_map.json")
# Settings that would put a subprocess offline, or point it at another cache or course setup.
OFFLINE = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
FOREIGN = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_DATASETS_CACHE",
           "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT")


def minilm_repo() -> dict[str, Path]:
    """The bundled MiniLM's model and tokenizer files, as a repo ``{name: local file}``."""
    folder = bundled_model_path()
    return {name: folder / name for name in MINILM_FILES}


@pytest.fixture
def hub():
    """The hub double serving the bundled MiniLM as ``bert-base-cased``."""
    with HubDouble({DEFAULT_MODEL: minilm_repo()}) as double:
        yield double


def online_env(hub: HubDouble, home: Path, **extra: str) -> dict[str, str]:
    """This process's environment, online against ``hub``: no offline flag, no course setting,
    a fresh ``HF_HOME`` (``home``)."""
    env = {k: v for k, v in os.environ.items()
           if k not in OFFLINE + FOREIGN and not k.startswith("COURSE_")}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(home), **extra)
    return env


def run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def served_elsewhere(hub: HubDouble, repo: str = DEFAULT_MODEL) -> list[str]:
    """Requests for anything but ``repo`` (and the hub's agent registry, which huggingface_hub
    reads once): a download or a look-up the course should not make."""
    ours = (f"/{repo}/", f"/api/models/{repo}", f"/api/resolve-cache/models/{repo}/", f"/cdn/{repo}/",
            "/api/agent-harnesses")
    return [p for p in hub.paths() if not p.startswith(ours)]


def cached_snapshot(home: Path, sha: str, repo: str = DEFAULT_MODEL) -> Path:
    storage = home / "hub" / f"models--{repo.replace('/', '--')}"
    assert (storage / "refs" / "main").read_text() == sha
    return storage / "snapshots" / sha


# --------------------------------------------------------------------------- the double itself
def test_the_double_answers_like_the_hub(hub):
    """Headers as huggingface_hub reads them, each error with its X-Error-Code; gone at exit."""
    repo, port = hub.repos[DEFAULT_MODEL], hub.port

    def ask(method: str, path: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(method, path)
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return answer

    assert hub_reachable(timeout=2.0, endpoint=hub.endpoint)  # 2xx and JSON: the hub answers
    small = ask("HEAD", f"/{DEFAULT_MODEL}/resolve/main/config.json")
    assert small.status == 307 and small.getheader("X-Repo-Commit") == repo.sha
    cached = ask("HEAD", small.getheader("Location"))
    config = bundled_model_path() / "config.json"
    assert cached.status == 200 and cached.getheader("X-Repo-Commit") == repo.sha
    assert cached.getheader("Content-Length") == str(config.stat().st_size)
    assert cached.getheader("ETag") == f'"{repo.files["config.json"].blob_id}"'
    large = ask("HEAD", f"/{DEFAULT_MODEL}/resolve/{repo.sha}/model.safetensors")
    weights = repo.files["model.safetensors"]
    assert large.status == 302 and large.getheader("Location").startswith(f"http://localhost:{port}/cdn/")
    assert large.getheader("X-Linked-Etag") == f'"{weights.sha256}"'
    assert large.getheader("X-Linked-Size") == str(weights.size)
    for path, code in ((f"/{DEFAULT_MODEL}/resolve/main/missing.json", "EntryNotFound"),
                       (f"/{DEFAULT_MODEL}/resolve/v9/config.json", "RevisionNotFound"),
                       ("/nobody/nothing/resolve/main/config.json", "RepoNotFound"),
                       ("/api/models/nobody/nothing", "RepoNotFound"),
                       (f"/api/models/{DEFAULT_MODEL}/revision/v9", "RevisionNotFound")):
        answer = ask("GET", path)
        assert (answer.status, answer.getheader("X-Error-Code")) == (404, code), path
    assert ask("GET", f"/{DEFAULT_MODEL}/resolve/main/missing.json").getheader("X-Repo-Commit") == repo.sha
    assert hub.downloaded == []  # HEADs and errors only: no file's bytes were sent
    hub.close()
    assert not hub_reachable(timeout=1.0, endpoint=f"http://127.0.0.1:{port}")


# --------------------------------------------------------------------------- a. hub, model, download
DOWNLOAD = textwrap.dedent("""
    import json, os
    from helpers import hub
    online, reason = hub.check_hub()
    choice = hub.resolve_model("bert-base-cased", online=online)
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (EntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    with hub.quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(choice.path)
        model = AutoModelForTokenClassification.from_pretrained(choice.path, num_labels=3)
    errors = {}
    for name, call in (("entry", lambda: hf_hub_download("bert-base-cased", "missing.json")),
                       ("revision", lambda: hf_hub_download("bert-base-cased", "config.json",
                                                            revision="v9")),
                       ("repo", lambda: hf_hub_download("nobody/nothing", "config.json"))):
        try:
            call()
            errors[name] = None
        except (EntryNotFoundError, RevisionNotFoundError, RepositoryNotFoundError) as err:
            errors[name] = type(err).__name__
    print(json.dumps({"online": online, "reason": reason, "source": choice.source,
                      "path": choice.path, "offline_flag": constants.HF_HUB_OFFLINE,
                      "tokens": tokenizer("Took ibuprofen for a headache")["input_ids"],
                      "layers": model.config.num_hidden_layers, "errors": errors}))
""")

FROM_CACHE = textwrap.dedent("""
    import json
    from helpers import hub
    online, _ = hub.check_hub()
    choice = hub.resolve_model("bert-base-cased", online=online)
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(choice.path)
    model = AutoModelForTokenClassification.from_pretrained(choice.path, num_labels=3)
    print(json.dumps({"online": online, "source": choice.source, "path": choice.path,
                      "tokens": tokenizer("Took ibuprofen for a headache")["input_ids"]}))
""")


def test_online_the_course_downloads_the_model_through_the_hub(hub, tmp_path):
    home = tmp_path / "hf-home"
    result = last_json(run(["-c", DOWNLOAD], online_env(hub, home), timeout=300).stdout)

    assert (result["online"], result["reason"]) == (True, "127.0.0.1 is reachable")
    assert (result["source"], result["path"], result["offline_flag"]) == ("hub", DEFAULT_MODEL, False)
    assert result["layers"] == 6  # the served MiniLM, not something found elsewhere
    assert result["errors"] == {"entry": "RemoteEntryNotFoundError", "revision": "RevisionNotFoundError",
                                "repo": "RepositoryNotFoundError"}
    # every file of the repo came over HTTP, once, and landed in the fresh cache
    served = [name for repo, name in hub.downloaded if repo == DEFAULT_MODEL]
    assert sorted(served) == sorted(MINILM_FILES)
    assert f"/api/models/{DEFAULT_MODEL}" in hub.paths("GET")  # hub_reachable's question
    asked_elsewhere = [p for p in served_elsewhere(hub) if "nobody/nothing" not in p]
    assert asked_elsewhere == []
    snapshot = cached_snapshot(home, hub.repos[DEFAULT_MODEL].sha)
    for name in MINILM_FILES:
        assert (snapshot / name).read_bytes() == (bundled_model_path() / name).read_bytes(), name
    weights = hub.repos[DEFAULT_MODEL].files["model.safetensors"]
    assert (snapshot / "model.safetensors").resolve().name == weights.sha256  # blob named by its sha256

    # Later offline (the train, a flight): the course chooses the cached model, not the bundled
    # substitute, and the cache alone loads it, asking nothing.
    hub.clear()
    again = last_json(run(["-c", FROM_CACHE], online_env(hub, home, HF_HUB_OFFLINE="1"), timeout=300).stdout)
    assert again["tokens"] == result["tokens"] and hub.paths() == []
    assert (again["online"], again["source"], again["path"]) == (False, "cache", DEFAULT_MODEL)


# --------------------------------------------------------------------------- b. the CLI, online vs offline
TRAIN = ["-m", "helpers.train", "ner", "--train", "data/health_ner/train.conll",
         "--validation", "data/health_ner/dev.conll", "--train-limit", "160", "--batch-size", "8",
         "--max-length", "64", "--epochs", "1"]


def test_cli_online_trains_the_downloaded_model_like_the_offline_one(hub, tmp_path):
    """The same weights under two names: online the hub id, downloaded through the double;
    offline the bundled copy. Same data, seed and recipe, so the same dev F1."""
    home = tmp_path / "hf-home"
    online = run([*TRAIN, "--model", DEFAULT_MODEL, "--output", str(tmp_path / "online")],
                 online_env(hub, home), timeout=600)
    online_line = last_json(online.stdout)
    served = sorted(name for _, name in hub.downloaded)
    asked_elsewhere = served_elsewhere(hub)

    hub.clear()
    offline = run([*TRAIN, "--model", BUNDLED_MODEL, "--output", str(tmp_path / "offline")],
                  online_env(hub, home, HF_HUB_OFFLINE="1"), timeout=600)
    offline_line = last_json(offline.stdout)

    assert online_line["model"] == DEFAULT_MODEL and "bundled" not in online.stderr
    assert offline_line["model"] == "all-MiniLM-L6-v2 (bundled)"
    online_config = json.loads(online.stderr.split("Run config: ", 1)[1].splitlines()[0])
    offline_config = json.loads(offline.stderr.split("Run config: ", 1)[1].splitlines()[0])
    assert (online_config["model"], offline_config["model"]) == (DEFAULT_MODEL, BUNDLED_MODEL)
    assert {k: v for k, v in online_config.items() if k not in ("model", "output_dir")} == \
        {k: v for k, v in offline_config.items() if k not in ("model", "output_dir")}  # same recipe
    assert served == sorted(MINILM_FILES) and asked_elsewhere == []  # it downloaded, only the model
    assert hub.paths() == []  # offline asked nothing
    difference = abs(online_line["dev_f1"] - offline_line["dev_f1"])
    print(f"dev F1 online {online_line['dev_f1']:.4f}, offline {offline_line['dev_f1']:.4f}, "
          f"difference {difference:.4f}")
    assert online_line["dev_f1"] > 0.05  # it learned something, so the comparison means something
    assert difference <= 0.02


# --------------------------------------------------------------------------- c. notebook 04 online
def outputs_text(notebook: dict) -> str:
    """Everything the notebook's code cells printed or showed as text."""
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


def isolated_course(root: Path, notebook: str) -> Path:
    """A copy of the course (``helpers``, ``data``, the notebook) under ``root``: run from it
    (``PYTHONPATH=root``), the course's ``REPO_ROOT`` is ``root``, so the notebook's models go
    to ``root/build`` and not into the working tree's ``build/``, which ``make test`` and anyone
    running the notebooks beside this test write too. Returns the copied notebook."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("helpers", "data"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=ignore)
    (root / "notebooks").mkdir()
    return Path(shutil.copy2(REPO_ROOT / "notebooks" / notebook, root / "notebooks" / notebook))


def test_notebook_04_runs_online(hub, tmp_path):
    """The learner's usual case: online, the hub's bert-base-cased (here the double's), the
    smoke profile. It trains twice (alone and with context): 13-16 min on a shared 2-core CPU."""
    from helpers.course import key_results

    root, out = tmp_path / "course", tmp_path / "executed"
    notebook = isolated_course(root, "04_finetune_ner.ipynb")
    env = online_env(hub, tmp_path / "hf-home", COURSE_PROFILE="smoke", COURSE_MODEL=DEFAULT_MODEL,
                     PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-m", "helpers.course", "run", str(notebook), "--out", str(out)],
                          env=env, cwd=root, capture_output=True, text=True, timeout=2400)
    assert done.returncode == 0 and "FAILED" not in done.stdout, done.stdout + done.stderr[-3000:]

    import nbformat

    executed = nbformat.read(out / notebook.name, as_version=4)
    text = outputs_text(executed)
    assert "Hub: online (127.0.0.1 is reachable)." in text
    assert f"Model: {DEFAULT_MODEL}: the Hugging Face hub is reachable." in text
    assert f"Data: {HEALTH_NER_SOURCE};" in text
    results = key_results(executed)
    assert results["data"] == HEALTH_NER_SOURCE and results["model"] == DEFAULT_MODEL
    assert 0 < results["dev_f1"] <= 1
    assert (root / "build" / "models" / "ner-smoke").is_dir()  # the copy ran, not the working tree
    assert {"config.json", "model.safetensors"} <= {name for _, name in hub.downloaded}
    assert served_elsewhere(hub) == []
