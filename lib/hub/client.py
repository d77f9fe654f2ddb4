"""Files on the Hugging Face Hub: ``hf://`` paths, downloads with ``hf_hub_download``, one-line error reasons.

An ``hf://`` path names one file of a Hub repo, optionally at a revision (branch, tag or commit id)::

    hf://<user>/<repo>/checkpoints/SEQTRACK_ep0002.pth.tar
    hf://<user>/<repo>@<revision>/checkpoints/SEQTRACK_ep0002.pth.tar   (a revision with '/' written %2F)
    hf://datasets/<user>/<repo>/mouse.zip

The token comes from ``HF_TOKEN`` or the user's saved login (``hf auth login``), as the client reads it; it is
never logged. The endpoint is the client's (``HF_ENDPOINT``, default https://huggingface.co).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

logger = logging.getLogger(__name__)

HF_SCHEME = "hf://"
_TYPE_PREFIXES = {"datasets": "dataset", "spaces": "space", "models": "model"}
_NAME = re.compile(r"^[\w.-]+$")
FORM = "hf://<user>/<repo>[@<revision>]/<path in the repo>"
_FILE_SUFFIXES = (".pth.tar", ".pth", ".pt", ".safetensors", ".json", ".txt", ".zip")


class HubError(RuntimeError):
    """A Hub path that is malformed, or a file that cannot be downloaded; the message says why."""


class HubInputError(HubError):
    """A malformed path, or a repo, revision or file that does not exist (or is private to this token): the
    user's input is wrong, not the network."""


@dataclass(frozen=True)
class HubPath:
    """One file of a Hub repo."""

    repo_id: str
    filename: str
    revision: str | None = None
    repo_type: str = "model"

    def __str__(self) -> str:
        prefix = "" if self.repo_type == "model" else f"{self.repo_type}s/"
        at = f"@{quote(self.revision, safe='')}" if self.revision else ""
        return f"{HF_SCHEME}{prefix}{self.repo_id}{at}/{self.filename}"


def set_stall_timeout(seconds: float) -> None:
    """From now on, every HTTP call of ``huggingface_hub`` in this process fails after ``seconds`` without
    progress (connecting, or waiting to send or to receive data); the client's own default waits forever,
    so a Hub that accepts connections and never answers would hold an upload, and the end of a run, for good.
    """
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http

    default_factory = _http.default_client_factory

    def factory():
        client = default_factory()
        client.timeout = type(client.timeout)(float(seconds))  # the client library's own Timeout class
        return client

    set_client_factory(factory)


def quiet_http_logging() -> None:
    """The client's HTTP library logs every request at INFO: keep those lines out of training logs."""
    for name in ("httpx2", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def is_hub_path(path) -> bool:
    return isinstance(path, str) and path.startswith(HF_SCHEME)


def parse_hub_path(path: str, allow_repo: bool = False) -> HubPath:
    """``hf://user/repo[@rev]/file`` -> :class:`HubPath`; anything else is a :class:`HubError` showing the form.

    ``allow_repo``: ``hf://user/repo[@rev]`` (no file) is accepted too, with an empty ``filename``: the caller
    knows which file of the repo it wants.
    """
    if not is_hub_path(path):
        raise HubInputError(f"{path!r} is not a Hub path; expected {FORM}")
    parts = path[len(HF_SCHEME):].rstrip("/").split("/")
    repo_type = "model"
    if parts and parts[0] in _TYPE_PREFIXES:
        repo_type = _TYPE_PREFIXES[parts.pop(0)]
    if len(parts) < (2 if allow_repo else 3) or not all(parts):
        raise HubInputError(f"malformed Hub path {path!r}: expected {FORM}"
                            + (" or hf://<user>/<repo>[@<revision>]" if allow_repo else ""))
    namespace, name, filename = parts[0], parts[1], "/".join(parts[2:])
    revision = None
    if "@" in name:
        name, revision = name.split("@", 1)
        revision = unquote(revision)  # 'refs%2Fpr%2F1' for a revision with slashes, as HfFileSystem writes it
        if not revision:
            raise HubInputError(f"malformed Hub path {path!r}: empty revision after '@'; expected {FORM}")
    if not filename and name.endswith(_FILE_SUFFIXES):  # 'hf://user/SEQTRACK_ep0001.pth.tar': the repo is missing
        raise HubInputError(f"malformed Hub path {path!r}: {name} is a file name, not a repo; expected {FORM}")
    if not (_NAME.match(namespace) and _NAME.match(name)):
        raise HubInputError(f"malformed Hub path {path!r}: {namespace}/{name} is not a repo id; expected {FORM}")
    return HubPath(f"{namespace}/{name}", filename, revision, repo_type)


def cache_dir() -> Path:
    """Where ``hf_hub_download`` keeps what it downloads (``HF_HUB_CACHE``, else ``HF_HOME``/hub)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_url(repo_id: str, repo_type: str = "model") -> str:
    """The repo's web address on the client's endpoint."""
    from huggingface_hub import constants

    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    return f"{constants.ENDPOINT}/{prefix}{repo_id}"


def describe_error(exc: BaseException) -> str:
    """One line saying why a Hub call failed: the HTTP status and what to do, or the network error."""
    from huggingface_hub import errors, get_token

    if isinstance(exc, errors.RevisionNotFoundError):
        return "revision not found in the repo"
    if isinstance(exc, errors.RemoteEntryNotFoundError):
        return "file not found in the repo"
    if isinstance(exc, errors.RepositoryNotFoundError):
        hint = "" if get_token() else "; no token: set HF_TOKEN or run 'hf auth login'"
        return f"repository not found (or private and not accessible with this token){hint}"
    if isinstance(exc, errors.HFValidationError):
        return f"invalid repo id or file name ({_first_line(exc)})"
    if isinstance(exc, errors.LocalEntryNotFoundError):
        return "the Hub cannot be reached and the file is not in the local cache"
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return "offline mode is on (HF_HUB_OFFLINE)"
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 401:
        if get_token() is None:
            return "401 Unauthorized: no token; set HF_TOKEN or run 'hf auth login'"
        return "401 Unauthorized: the token was refused (invalid or expired)"
    if status == 403:
        return "403 Forbidden: the token has no write access to this repo or namespace"
    if status is not None:
        return f"HTTP {status} from the Hub" + (" (server error)" if status >= 500 else "")
    if isinstance(exc, ValueError) and "metadata" in str(exc):
        return f"the model card was refused: {_first_line(exc)}"
    name = type(exc).__name__
    if "TimeoutException" in {cls.__name__ for cls in type(exc).__mro__} or isinstance(exc, TimeoutError):
        from huggingface_hub import constants

        return (f"{constants.ENDPOINT} stopped answering ({name}; SEQTRACK_HUB_STALL_TIMEOUT sets how many seconds "
                f"without progress end an attempt)")
    if _is_network_error(exc):
        from huggingface_hub import constants

        return f"network error talking to {constants.ENDPOINT} ({name}: {_first_line(exc)})"
    return f"{name}: {_first_line(exc)}"


def _is_network_error(exc: BaseException) -> bool:
    # The client's HTTP library (httpx2 in huggingface_hub 2.x, httpx before) is its own business: recognise its
    # transport errors by their base-class names rather than importing it.
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TransportError", "TimeoutException"}) or isinstance(exc, (ConnectionError, TimeoutError))


def hub_error(what: str, exc: BaseException) -> HubError:
    """``what: <reason>``: a :class:`HubInputError` when something named does not exist, else a HubError."""
    from huggingface_hub import errors

    missing = (errors.RepositoryNotFoundError, errors.RevisionNotFoundError, errors.RemoteEntryNotFoundError,
               errors.HFValidationError)
    return (HubInputError if isinstance(exc, missing) else HubError)(f"{what}: {describe_error(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def download(path: str | HubPath, local_dir: str | Path | None = None, token: str | None = None) -> Path:
    """Download one file with ``hf_hub_download`` (into the Hub cache, or ``local_dir``) and return its path.

    Raises :class:`HubError` naming the file and the reason.
    """
    from huggingface_hub import hf_hub_download

    hub_path = parse_hub_path(path) if isinstance(path, str) else path
    quiet_http_logging()
    try:
        local = hf_hub_download(hub_path.repo_id, hub_path.filename, revision=hub_path.revision,
                                repo_type=hub_path.repo_type, token=token,
                                local_dir=str(local_dir) if local_dir is not None else None)
    except Exception as exc:  # the client raises many types (HTTP, network, cache): all become one line
        raise hub_error(f"cannot download {hub_path}", exc) from exc
    logger.info("Downloaded %s to %s", hub_path, local)
    return Path(local)
