"""A local stand-in for the Hugging Face Hub, for tests: an HTTP server speaking the routes the real
``huggingface_hub`` client calls when it creates a repo, commits files and downloads them.

Files live in memory, per repo, as a list of commits (every commit a full snapshot). Every file is
uploaded "regular" (base64 inside the commit's NDJSON body): no LFS, no Xet. A fixture points the client
at the server through ``HF_ENDPOINT``; :meth:`HubServer.fail_with` makes every route answer an error
status, :meth:`HubServer.stop` takes the server down.

Routes (what the client of huggingface_hub 2.4 calls in these flows):

- ``POST /api/repos/create``                                     create_repo
- ``POST /api/validate-yaml``                                    create_commit, when README.md is committed
- ``POST /api/{type}s/{ns}/{name}/preupload/{rev}``              create_commit: upload mode of each file
- ``POST /api/{type}s/{ns}/{name}/commit/{rev}``                 create_commit: the NDJSON commit
- ``GET  /api/{type}s/{ns}/{name}[/revision/{rev}]``             repo_info (snapshot_download, exist_ok)
- ``GET  /api/{type}s/{ns}/{name}/tree/{rev}[/{path}]``          list_repo_tree / list_repo_files
- ``HEAD|GET /[{type}s/]{ns}/{name}/resolve/{rev}/{path}``       hf_hub_download (metadata, then content)

Anything else answers 404 and is recorded in :attr:`HubServer.unknown_routes`, so that a client upgrade that
calls a new route shows up in the tests instead of failing obscurely.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_REPO = r"(?P<ns>[\w.-]+)/(?P<name>[\w.-]+)"
_API = rf"^/api/(?P<type>models|datasets|spaces)/{_REPO}"
ROUTES = [
    ("POST", re.compile(r"^/api/repos/create$"), "create_repo"),
    ("POST", re.compile(r"^/api/validate-yaml$"), "validate_yaml"),
    ("POST", re.compile(_API + r"/preupload/(?P<rev>[^/]+)$"), "preupload"),
    ("POST", re.compile(_API + r"/commit/(?P<rev>[^/]+)$"), "commit"),
    ("GET", re.compile(_API + r"(?:/revision/(?P<rev>[^/]+))?$"), "repo_info"),
    ("GET", re.compile(_API + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?$"), "tree"),
    ("GET", re.compile(rf"^/(?:(?P<type>datasets|spaces)/)?{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"),
     "resolve"),
    ("HEAD", re.compile(rf"^/(?:(?P<type>datasets|spaces)/)?{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"),
     "resolve"),
]
USER = "tester"


def git_blob_sha1(content: bytes) -> str:
    """The id git gives a blob, which the Hub uses as the ETag of a regular file."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Commit:
    oid: str
    message: str
    files: dict  # path -> bytes: the whole tree at this commit


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: list = field(default_factory=list)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def at(self, revision: str) -> Commit | None:
        """The commit of a branch name ('main') or of a full commit id."""
        if revision == "main":
            return self.head
        return next((c for c in self.commits if c.oid == revision), None)

    def add_commit(self, message: str, files: dict) -> Commit:
        seed = f"{self.repo_type}/{self.repo_id}/{len(self.commits)}/{message}".encode()
        commit = Commit(hashlib.sha1(seed).hexdigest(), message, files)
        self.commits.append(commit)
        return commit


class HubError(Exception):
    """An error answer: status, message, and the X-Error-Code the client turns into a typed exception."""

    def __init__(self, status: int, message: str, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


class HubServer:
    """The server, its repos and the requests it saw; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, token: str | None = "hf_test_token_0123456789"):
        self.token = token  # writes (and reads of private repos) need 'Authorization: Bearer <token>'
        self.repos: dict = {}  # (repo_type, repo_id) -> Repo
        self.requests: list = []  # (method, path) of every request, in order
        self.unknown_routes: list = []
        self.forced_status: int | None = None
        self.lock = threading.Lock()
        self.connections: set = set()  # open client sockets, cut by stop()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------------------------------- control
    def start(self) -> HubServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.hub = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Take the server down: new connections are refused, open keep-alive connections are cut."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None
        with self.lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    @property
    def url(self) -> str:
        """The endpoint to put in HF_ENDPOINT (it stays the same after :meth:`stop`: nothing answers there)."""
        return f"http://127.0.0.1:{self.port}"

    def fail_with(self, status: int | None) -> None:
        """Answer every request with ``status`` (e.g. 401, 503); None restores normal service."""
        self.forced_status = status

    # ------------------------------------------------------------------------------------------- content
    def repo(self, repo_id: str, repo_type: str = "model") -> Repo | None:
        return self.repos.get((repo_type, repo_id))

    def files(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> dict:
        """``{path: bytes}`` of a repo at a revision (empty when the repo does not exist)."""
        repo = self.repo(repo_id, repo_type)
        commit = repo.at(revision) if repo else None
        return dict(commit.files) if commit else {}

    def create(self, repo_id: str, repo_type: str = "model", private: bool = False, files: dict | None = None) -> Repo:
        """Make a repo directly (test set-up), optionally with a first commit of ``files``."""
        with self.lock:
            repo = self._create(repo_id, repo_type, private)
            if files:
                repo.add_commit("Upload files", {**repo.head.files, **files})
        return repo

    def _create(self, repo_id: str, repo_type: str, private: bool) -> Repo:
        repo = Repo(repo_type, repo_id, private)
        repo.add_commit("initial commit", {".gitattributes": b"*.tar filter=lfs diff=lfs merge=lfs -text\n"})
        self.repos[(repo_type, repo_id)] = repo
        return repo


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects; every answer has a Content-Length

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # quiet: the tests read HubServer.requests instead

    @property
    def hub(self) -> HubServer:
        return self.server.hub

    def setup(self):
        super().setup()
        with self.hub.lock:
            self.hub.connections.add(self.connection)

    def finish(self):
        with self.hub.lock:
            self.hub.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    # ------------------------------------------------------------------------------------------- plumbing
    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self._read_body()
        with self.hub.lock:
            self.hub.requests.append((method, parts.path))
        try:
            if self.hub.forced_status is not None:  # a 401 as the Hub answers a refused token
                status = self.hub.forced_status
                raise HubError(status, "Invalid credentials in Authorization header" if status == 401 else
                               f"forced status {status}")
            for route_method, pattern, handler in ROUTES:
                match = pattern.match(parts.path)
                if route_method == method and match:
                    getattr(self, handler)({k: unquote(v) for k, v in match.groupdict().items() if v}, body,
                                           method)
                    return
            with self.hub.lock:
                self.hub.unknown_routes.append((method, parts.path))
            raise HubError(404, f"no route for {method} {parts.path}")
        except HubError as err:
            headers = {"X-Error-Message": err.message}
            if err.code:
                headers["X-Error-Code"] = err.code
            self._send_json({"error": err.message, **err.extra}, err.status, headers, head=method == "HEAD")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if size == 0:
                    return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, content: bytes, headers: dict, head: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if not head:
            self.wfile.write(content)

    def _send_json(self, payload, status: int = 200, headers: dict | None = None, head: bool = False) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})},
                   head)

    def _authorized(self) -> bool:
        return self.hub.token is None or self.headers.get("Authorization") == f"Bearer {self.hub.token}"

    def _require_token(self) -> None:
        if not self._authorized():
            raise HubError(401, "Invalid credentials in Authorization header")

    def _find(self, args: dict, revision: str | None = None) -> tuple:
        """``(repo, commit)`` for the route's repo and revision; 404s the client maps to typed errors."""
        repo_type = TYPES.get(args.get("type", "models"), args.get("type"))
        repo = self.hub.repo(f"{args['ns']}/{args['name']}", repo_type)
        if repo is None or (repo.private and not self._authorized()):
            raise HubError(404, "Repository not found", "RepoNotFound")
        commit = repo.at(revision or args.get("rev") or "main")
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision or args.get('rev')}", "RevisionNotFound")
        return repo, commit

    def _repo_url(self, repo: Repo) -> str:
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return f"http://127.0.0.1:{self.server.server_address[1]}/{prefix}{repo.repo_id}"

    # ------------------------------------------------------------------------------------------- routes
    def create_repo(self, args, body, method):
        self._require_token()
        payload = json.loads(body)
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or USER}/{payload['name']}"
        private = payload.get("visibility", "private" if payload.get("private") else "public") == "private"
        with self.hub.lock:
            if (repo_type, repo_id) in self.hub.repos:
                repo = self.hub.repos[(repo_type, repo_id)]
                # The client reads the url of the existing repo from the 409 answer (create_repo(exist_ok=True)).
                raise HubError(409, f"You already created this {repo_type} repo", extra={"url": self._repo_url(repo)})
            repo = self.hub._create(repo_id, repo_type, private)
        self._send_json({"url": self._repo_url(repo), "name": repo_id})

    def validate_yaml(self, args, body, method):
        content = json.loads(body)["content"]
        match = re.match(r"^---\n(.*?)\n---\n", content, re.DOTALL)
        errors = []
        try:
            metadata = yaml.safe_load(match.group(1)) if match else {}
        except yaml.YAMLError as exc:
            metadata, errors = None, [{"message": f"YAML does not parse: {exc}"}]
        if metadata is not None and not isinstance(metadata, dict):
            errors.append({"message": "metadata must be a mapping"})
        for key in ("tags", "datasets"):
            value = (metadata or {}).get(key)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                errors.append({"message": f'"{key}" must be a list of strings'})
        self._send_json({"errors": errors, "warnings": []}, 400 if errors else 200)

    def preupload(self, args, body, method):
        self._require_token()
        _, commit = self._find(args)
        files = json.loads(body)["files"]
        self._send_json({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                                    "oid": None} for f in files], "commitOid": commit.oid})

    def commit(self, args, body, method):
        self._require_token()
        repo, parent = self._find(args)
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line["key"] == "header"), None)
        if header is None:
            raise HubError(400, "the commit has no header line")
        files = dict(parent.files)
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key != "header":
                raise HubError(400, f"this test server does not handle commit entries of kind {key!r}")
        with self.hub.lock:
            new = repo.add_commit(header["summary"], files)
        self._send_json({"commitUrl": f"{self._repo_url(repo)}/commit/{new.oid}", "commitOid": new.oid,
                         "success": True, "pullRequestUrl": None})

    def repo_info(self, args, body, method):
        repo, commit = self._find(args)
        self._send_json({"id": repo.repo_id, "sha": commit.oid, "private": repo.private,
                         "lastModified": "2024-01-01T00:00:00.000Z",
                         "siblings": [{"rfilename": path} for path in sorted(commit.files)]})

    def tree(self, args, body, method):
        _, commit = self._find(args)
        prefix = args.get("path", "").strip("/")
        recursive = self.query.get("recursive", "false").lower() in ("1", "true")
        entries, folders = [], set()
        for path in sorted(commit.files):
            if prefix and not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) + 1:] if prefix else path
            if "/" in rest and not recursive:
                folders.add(f"{prefix}/{rest.split('/')[0]}" if prefix else rest.split("/")[0])
                continue
            content = commit.files[path]
            entries.append({"type": "file", "path": path, "size": len(content), "oid": git_blob_sha1(content)})
        entries += [{"type": "directory", "path": folder, "size": 0, "oid": git_blob_sha1(folder.encode())}
                    for folder in sorted(folders)]
        self._send_json(entries)

    def resolve(self, args, body, method):
        repo, commit = self._find(args)
        content = commit.files.get(args["path"])
        if content is None:
            raise HubError(404, f"{args['path']} does not exist at {commit.oid}", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{git_blob_sha1(content)}"',
                   "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        status, span = 200, self._range(len(content))
        if span is not None:
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(content)}"
            status, content = 206, content[start:end]
        self._send(status, content, headers, head=method == "HEAD")

    def _range(self, size: int) -> tuple | None:
        """``(start, end)`` of a ``Range: bytes=N-[M]`` request header (resumed downloads), else None."""
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not match:
            return None
        start = int(match.group(1))
        end = int(match.group(2)) + 1 if match.group(2) else size
        return start, min(end, size)


# Settings the client reads from the environment; a test must not inherit the developer's.
_CLIENT_ENV_CLEARED = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HF_TOKEN_PATH", "HF_TOKEN",
                       "HUGGINGFACE_CO_STAGING", "HF_OIDC_RESOURCE", "HF_HUB_ETAG_TIMEOUT")


@contextlib.contextmanager
def client_pointed_at(url: str, home: Path, token: str):
    """The real client pointed at ``url`` (``HF_ENDPOINT``), its cache and login under ``home``, ``HF_TOKEN`` set.

    ``huggingface_hub.constants`` reads the environment once, at import: it is re-read here, and again after
    the environment is restored.
    """
    from huggingface_hub import constants

    try:
        with pytest.MonkeyPatch.context() as env:
            for name in _CLIENT_ENV_CLEARED:
                env.delenv(name, raising=False)
            env.setenv("HF_ENDPOINT", url)
            env.setenv("HF_HOME", str(home))
            env.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
            env.setenv("HF_HUB_DISABLE_XET", "1")
            env.setenv("HF_TOKEN", token)
            importlib.reload(constants)
            yield
    finally:
        importlib.reload(constants)  # back to the restored environment


@contextlib.contextmanager
def serving_hub(home: Path):
    """A running :class:`HubServer` with the real client pointed at it (:func:`client_pointed_at`; tests delete
    ``HF_TOKEN`` to test "no token")."""
    server = HubServer().start()
    try:
        with client_pointed_at(server.url, home, server.token):
            yield server
    finally:
        server.stop()


@contextlib.contextmanager
def silent_hub(home: Path):
    """A "Hub" that accepts every connection and never answers a byte (a hung server or proxy), with the real
    client pointed at it. Yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list = []
    stop = threading.Event()

    def accept_and_hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with client_pointed_at(url, home, "hf_test_token_0123456789"):
            yield url
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@pytest.fixture
def hub(tmp_path):
    """:func:`serving_hub` for one test."""
    with serving_hub(tmp_path / "hf_home") as server:
        yield server
