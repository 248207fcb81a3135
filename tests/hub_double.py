"""A test double of the network: a local HTTP server that answers like the Hugging Face hub,
serving model repositories from folders on this machine.

Nothing of the course is replaced: the course, ``huggingface_hub`` and ``transformers`` run as
they do for a learner online, with ``HF_ENDPOINT=<double.endpoint>``, and talk HTTP to this
server instead of huggingface.co. It speaks the part of the hub's HTTP API those libraries use
(as read in huggingface_hub 2.x ``file_download.get_hf_file_metadata`` / ``hf_hub_download``,
``utils/_http.hf_raise_for_status`` and ``hf_api.model_info`` / ``list_repo_tree``):

* ``GET /api/models/<repo>`` and ``/api/models/<repo>/revision/<rev>``: the model info (JSON:
  ``id``, ``sha``, ``siblings`` with sizes, blob ids and LFS info, ``config``...);
* ``GET /api/models/<repo>/tree/<rev>[/<folder>]`` (``?recursive=true``): the file listing;
* ``HEAD``/``GET /<repo>/resolve/<rev>/<file>``: a small file answers ``307`` to
  ``/api/resolve-cache/models/<repo>/<sha>/<file>`` on the same host (as the hub does; the
  client follows it), which serves it with ``X-Repo-Commit``, ``ETag`` (the git blob id) and
  ``Content-Length``; a large (LFS) file answers ``302`` to another host, the "CDN"
  (``http://localhost:<port>/cdn/...``, the same server under another name, which the client
  does not follow for HEAD), with ``X-Repo-Commit``, ``X-Linked-Etag`` (its sha256) and
  ``X-Linked-Size``, and the CDN serves the bytes (with ``Range``);
* ``GET /api/agent-harnesses`` (huggingface_hub 2.x reads it once for its user agent): an empty
  registry;
* anything else is an error as the hub gives it: ``404`` with ``X-Error-Code``
  ``RepoNotFound`` (unknown repository, or any other path), ``RevisionNotFound`` (a revision
  other than ``main`` or the repo's sha) or ``EntryNotFound`` (no such file; with
  ``X-Repo-Commit``, so the client caches the absence). Other methods (POST...) get ``404``.

Every request is recorded (``requests``; ``downloaded`` lists the files whose bytes were sent),
so a test can assert what was fetched and that nothing else was asked. Bounded: it binds
127.0.0.1 on a free port, lives in a context manager, and stops when the context exits.

    with HubDouble({"bert-base-cased": "path/to/folder"}) as hub:
        env["HF_ENDPOINT"] = hub.endpoint
        ...                                   # run the code under test in a subprocess
    assert ("bert-base-cased", "config.json") in hub.downloaded
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

# Files the hub stores with Git LFS (as a repo's .gitattributes says), and any file this big.
LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".onnx", ".pt", ".pth", ".ckpt", ".ot",
                ".tflite", ".gguf", ".model", ".zip", ".tar", ".gz")
LFS_MIN_SIZE = 10 * 1024 * 1024
LAST_MODIFIED = "2024-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class RepoFile:
    """One file of a served repo: where it lies here and the ids the hub gives it."""

    name: str
    local: Path
    size: int
    blob_id: str  # git blob sha1 (of the LFS pointer for an LFS file)
    sha256: str | None  # the content's sha256 when the file is stored with LFS

    @property
    def etag(self) -> str:
        return self.sha256 or self.blob_id


@dataclass
class Repo:
    repo_id: str
    files: dict[str, RepoFile]
    sha: str
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """What the double was asked, and what it answered."""

    method: str
    path: str  # with its query string, as sent
    status: int
    host: str = ""


def _lfs(path: Path, size: int) -> bool:
    return path.suffix in LFS_SUFFIXES or size >= LFS_MIN_SIZE


def _repo_file(name: str, local: Path) -> RepoFile:
    size = local.stat().st_size
    if _lfs(local, size):
        digest = hashlib.sha256()
        with local.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\n"
                   f"size {size}\n").encode()
        blob = hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()
        return RepoFile(name, local, size, blob, sha256)
    content = local.read_bytes()
    return RepoFile(name, local, size, hashlib.sha1(b"blob %d\0" % size + content).hexdigest(), None)


def _load_repo(repo_id: str, source: str | Path | Mapping[str, str | Path]) -> Repo:
    """A repo from a folder (every file in it, hidden ones too, in sub-folders as ``a/b``) or
    from a mapping ``{name in the repo: local file}``."""
    if isinstance(source, Mapping):
        pairs = {name: Path(local) for name, local in source.items()}
    else:
        root = Path(source)
        if not root.is_dir():
            raise NotADirectoryError(f"{root}: a served repo must be a folder or a mapping")
        pairs = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
    files = {name: _repo_file(name, local) for name, local in sorted(pairs.items())}
    commit = hashlib.sha1(repo_id.encode())
    for f in files.values():
        commit.update(f"\n{f.name} {f.etag}".encode())
    config = {}
    if "config.json" in files:
        try:
            full = json.loads(files["config.json"].local.read_text(encoding="utf-8"))
            config = {k: full[k] for k in ("architectures", "model_type") if k in full}
        except (OSError, ValueError):
            pass
    return Repo(repo_id, files, commit.hexdigest(), config)


class HubDouble:
    """``HubDouble({"bert-base-cased": folder_or_mapping, ...})``: a context manager running a
    local hub that serves those repos; ``endpoint`` is the value for ``HF_ENDPOINT``.

    ``cdn_host`` names the host LFS files are redirected to ("localhost": this server under
    another name, so the client treats it as a CDN as it does for the real hub)."""

    def __init__(self, repos: Mapping[str, str | Path | Mapping[str, str | Path]],
                 cdn_host: str = "localhost", timeout: float = 30.0):
        self.repos = {repo_id: _load_repo(repo_id, source) for repo_id, source in repos.items()}
        self.cdn_host = cdn_host
        self.timeout = timeout
        self.requests: list[Request] = []
        self.downloaded: list[tuple[str, str]] = []  # (repo, file) whose bytes a GET sent
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life
    def __enter__(self) -> HubDouble:
        double = self

        class Handler(_Handler):
            hub = double
            timeout = double.timeout

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="hub-double", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the hub double is not running (use it as a context manager)")
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ what was asked
    def record(self, request: Request, download: tuple[str, str] | None = None) -> None:
        with self._lock:
            self.requests.append(request)
            if download:
                self.downloaded.append(download)

    def paths(self, method: str | None = None) -> list[str]:
        """The paths asked (with their query), in order; only ``method``'s when given."""
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def clear(self) -> None:
        """Forget what was asked so far (before the next step of a test)."""
        with self._lock:
            self.requests.clear()
            self.downloaded.clear()

    # ------------------------------------------------------------------ the API's answers
    def find_repo(self, rest: str) -> tuple[Repo | None, str]:
        """The served repo whose id starts ``rest`` (longest id first), and what follows it."""
        for repo_id in sorted(self.repos, key=len, reverse=True):
            if rest == repo_id or rest.startswith(repo_id + "/"):
                return self.repos[repo_id], rest[len(repo_id):]
        return None, rest

    @staticmethod
    def revision_ok(repo: Repo, revision: str) -> bool:
        return revision in ("main", repo.sha)

    def model_info(self, repo: Repo) -> dict:
        siblings = []
        for f in repo.files.values():
            sibling = {"rfilename": f.name, "size": f.size, "blobId": f.blob_id}
            if f.sha256:
                sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
            siblings.append(sibling)
        return {"_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id,
                "modelId": repo.repo_id, "author": repo.repo_id.split("/")[0] if "/" in repo.repo_id
                else None, "sha": repo.sha, "lastModified": LAST_MODIFIED, "createdAt": LAST_MODIFIED,
                "private": False, "gated": False, "disabled": False, "downloads": 0, "likes": 0,
                "tags": ["transformers", "safetensors"], "library_name": "transformers",
                "config": repo.config, "siblings": siblings}

    @staticmethod
    def tree(repo: Repo, folder: str, recursive: bool) -> list[dict] | None:
        """The tree listing of ``folder`` (None when no file lies under it)."""
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        entries, folders = [], set()
        for f in repo.files.values():
            if not f.name.startswith(prefix):
                continue
            below = f.name[len(prefix):]
            if "/" in below:
                parts = below.split("/")[:-1]
                depth = len(parts) if recursive else 1
                for i in range(1, depth + 1):
                    folders.add(prefix + "/".join(parts[:i]))
                if not recursive:
                    continue
            entry = {"type": "file", "oid": f.blob_id, "size": f.size, "path": f.name}
            if f.sha256:
                entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": 134}
            entries.append(entry)
        if not entries and not folders:
            return None
        return [{"type": "directory", "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0,
                 "path": p} for p in sorted(folders)] + entries


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients expect; every answer has a length
    hub: HubDouble
    server_version = "hub-double"

    def log_message(self, format, *args):  # noqa: A002  (BaseHTTPRequestHandler's signature)
        pass  # recorded in hub.requests instead of printed

    # ------------------------------------------------------------------ answers
    def _send(self, status: int, headers: dict | None = None, body: bytes = b"",
              download: tuple[str, str] | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.hub.record(Request(self.command, self.path, status, self.headers.get("Host", "")),
                        download if self.command == "GET" else None)
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, payload, status: int = 200, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self._send(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)

    def _error(self, code: str | None, message: str, status: int = 404, commit: str | None = None) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if commit:
            headers["X-Repo-Commit"] = commit
        self._json({"error": message}, status, headers)

    def _not_a_repo(self) -> None:
        self._error("RepoNotFound", "Repository not found")

    def _file(self, repo: Repo, f: RepoFile, extra: dict | None = None) -> None:
        """The bytes of ``f`` (a ``Range: bytes=a-[b]`` honoured), with the hub's headers."""
        start, end, status = 0, f.size - 1, 200
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and "," not in wanted:
            first, _, last = wanted[len("bytes="):].partition("-")
            if first.isdigit():
                start, end = int(first), min(int(last), f.size - 1) if last.isdigit() else f.size - 1
                status = 206
            if start > end:
                self._send(416, {"Content-Range": f"bytes */{f.size}"})
                return
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(end - start + 1),
                   "Accept-Ranges": "bytes", "ETag": f'"{f.etag}"', "X-Repo-Commit": repo.sha,
                   "Content-Disposition": f'inline; filename="{f.name.rsplit("/", 1)[-1]}"', **(extra or {})}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.hub.record(Request(self.command, self.path, status, self.headers.get("Host", "")),
                        (repo.repo_id, f.name) if self.command == "GET" else None)
        if self.command == "HEAD":
            return
        with f.local.open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = handle.read(min(left, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        self._route()

    def do_HEAD(self) -> None:  # noqa: N802
        self._route()

    def _other(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._error(None, "Not found: the hub double serves GET and HEAD only")

    do_POST = do_PUT = do_DELETE = do_PATCH = _other  # noqa: N815

    def _route(self) -> None:
        try:
            url = urlsplit(self.path)
            raw, query = url.path, parse_qs(url.query)
            if raw == "/api/agent-harnesses":  # huggingface_hub's user-agent registry: an empty one
                self._json({"standardEnvVars": [], "harnesses": {}})
            elif raw.startswith("/api/models/"):
                self._api(raw[len("/api/models/"):], query)
            elif raw.startswith("/api/resolve-cache/models/"):
                self._resolve_cache(raw[len("/api/resolve-cache/models/"):])
            elif raw.startswith("/cdn/"):
                self._cdn(raw[len("/cdn/"):])
            else:
                self._resolve(raw.lstrip("/").removeprefix("models/"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away: nothing to answer

    def _api(self, rest: str, query: dict) -> None:
        repo, after = self.hub.find_repo(rest)
        if repo is None:
            return self._not_a_repo()
        if after in ("", "/"):
            return self._json(self.hub.model_info(repo))
        kind, _, tail = after.lstrip("/").partition("/")
        revision_enc, _, folder = tail.partition("/")
        revision = unquote(revision_enc)
        if kind not in ("revision", "tree") or not revision_enc or (kind == "revision" and folder):
            return self._not_a_repo()
        if not self.hub.revision_ok(repo, revision):
            return self._error("RevisionNotFound", f"Invalid rev id: {revision}")
        if kind == "revision":
            return self._json(self.hub.model_info(repo))
        listing = self.hub.tree(repo, unquote(folder), query.get("recursive", ["false"])[0].lower() == "true")
        if listing is None:
            return self._error("EntryNotFound", f"{unquote(folder) or '/'} does not exist on \"{revision}\"",
                               commit=repo.sha)
        return self._json(listing)

    def _resolve(self, rest: str) -> None:
        repo, after = self.hub.find_repo(rest)
        if repo is None or not after.startswith("/resolve/"):
            return self._not_a_repo()
        revision_enc, _, name_enc = after[len("/resolve/"):].partition("/")
        revision, name = unquote(revision_enc), unquote(name_enc)
        if not self.hub.revision_ok(repo, revision):
            return self._error("RevisionNotFound", f"Invalid rev id: {revision}")
        f = repo.files.get(name)
        if f is None:
            return self._error("EntryNotFound", "Entry not found", commit=repo.sha)
        headers = {"X-Repo-Commit": repo.sha, "ETag": f'"{f.blob_id}"', "Accept-Ranges": "bytes",
                   "Content-Type": "text/plain; charset=utf-8"}
        if f.sha256:  # LFS: to the "CDN", with the linked file's etag and size
            headers.update({"Location": f"http://{self.hub.cdn_host}:{self.hub.port}/cdn/"
                                        f"{quote(repo.repo_id)}/{f.sha256}?name={quote(f.name)}",
                            "X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(f.size)})
            return self._send(302, headers, b"Found. Redirecting")
        headers["Location"] = f"/api/resolve-cache/models/{repo.repo_id}/{repo.sha}/{quote(f.name)}"
        return self._send(307, headers, b"Temporary Redirect. Redirecting")

    def _resolve_cache(self, rest: str) -> None:
        repo, after = self.hub.find_repo(rest)
        if repo is None:
            return self._not_a_repo()
        sha, _, name = after.lstrip("/").partition("/")
        if sha != repo.sha:
            return self._error("RevisionNotFound", f"Invalid rev id: {sha}")
        f = repo.files.get(unquote(name))
        if f is None:
            return self._error("EntryNotFound", "Entry not found", commit=repo.sha)
        return self._file(repo, f)

    def _cdn(self, rest: str) -> None:
        repo_enc, _, digest = rest.rpartition("/")
        repo = self.hub.repos.get(unquote(repo_enc))
        found = [f for f in repo.files.values() if f.sha256 == digest] if repo else []
        if not found:
            return self._send(403, {"Content-Type": "application/xml"}, b"<Error>AccessDenied</Error>")
        return self._file(repo, found[0])
