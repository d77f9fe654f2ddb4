"""Publish a run on the Hugging Face Hub: a checkpoint hook that pushes every epoch in the background.

Each pushed epoch is one commit to the model repo holding::

    checkpoints/SEQTRACK_ep0003.pth.tar     the full training state (to resume)
    weights/ep0003/model.safetensors        the network only, the original's names (to track)
    weights/ep0003/config.json              the resolved config to rebuild it, the classes, the epoch
    model.safetensors  config.json          the same, of the latest epoch, at the root (hf://<user>/<repo>)
    logs/seqtrack-<config>.log  .metrics.jsonl  .curves.png
    README.md                               the model card (lib/hub/model_card.py)

``TRAIN.HF.STRATEGY`` chooses the training states pushed: ``full`` (every epoch's, the default),
``latest_full`` (the latest epoch's only: each commit deletes the one before, which the repo's history keeps)
or ``weights`` (none: inference weights only).

The hook runs on rank 0 right after a checkpoint is saved. It snapshots what the commit needs into
``<save_dir>/.hub_staging/seqtrack/<config>/ep0003-<id>/`` (a hard link to the checkpoint, so that pruning with
TRAIN.KEEP_CHECKPOINTS cannot take it away; copies of the log and metrics, which keep growing; ``push.json``,
written last, with what the model card needs) and queues the epoch. One worker thread pushes the queue in
order; training never waits for it. A failed push (no token, 401, network down, server error, a Hub that stops
answering) is a WARNING with the reason and is retried with exponential backoff; it never stops training and
never touches a file of the run. At the end, :meth:`HubUploader.close` waits (bounded; Ctrl-C ends the wait)
for what is left and says which epochs were pushed and which were not, and why. A staging folder is removed
once pushed and kept otherwise: the next run with uploads on pushes what a killed or interrupted run left
staged (:meth:`HubUploader.push_staged`), and ``scripts/upload_checkpoint.py`` can push it by hand.

Settings, for tests and slow networks: ``SEQTRACK_HUB_RETRY_BASE`` (seconds before the first retry, doubled each
time; default 2), ``SEQTRACK_HUB_RETRY_ATTEMPTS`` (default 5), ``SEQTRACK_HUB_FINAL_WAIT`` (seconds the end of
the run waits for pending pushes; default 1800), ``SEQTRACK_HUB_STALL_TIMEOUT`` (seconds without progress that
end an attempt; default 120).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lib.checkpoint.io import parse_checkpoint_name
from lib.checkpoint.paths import RunPaths
from lib.checkpoint.weights_files import WEIGHTS_FILE, weights_config, write_weights
from lib.data.local_settings import resolve_results_dir
from lib.hub.client import describe_error, hub_url, quiet_http_logging, set_stall_timeout
from lib.hub.model_card import (
    SCORES_FILE,
    RunSummary,
    base_model_of,
    build_model_card,
    parameter_counts,
    write_model_card,
)
from lib.runlog.records import epoch_records, format_epochs
from lib.utils.atomic_files import write_text_atomic

logger = logging.getLogger(__name__)

STAGING_DIR = ".hub_staging"
CHECKPOINTS_IN_REPO = "checkpoints"
WEIGHTS_IN_REPO = "weights"
STRATEGIES = ("full", "latest_full", "weights")  # TRAIN.HF.STRATEGY: which training states are pushed
STRATEGY_TEXT = {"full": "every epoch's training state and weights",
                 "latest_full": "the latest training state, every epoch's weights",
                 "weights": "every epoch's weights, no training state"}
LOGS_IN_REPO = "logs"
CARD_IN_REPO = "README.md"
PUSH_FILE = "push.json"  # in a staging folder: the epoch and what its model card needs; written last
_MAX_RETRY_DELAY = 300.0
_WAIT_REPORT_EVERY = 60.0  # seconds between 'still waiting' lines at the end of a run
_JOIN_POLL = 0.5  # seconds of each join of the upload thread while waiting for it
PENDING = "still pending when the run ended"


def _env_number(name: str, default: float, cast=float):
    raw = os.environ.get(name, "")
    try:
        return cast(raw) if raw.strip() else default
    except ValueError:
        logger.warning("ignoring %s=%r (not a number); using %s", name, raw, default)
        return default


# --------------------------------------------------------------------------------------------- what a commit holds
def run_file_names(paths: RunPaths) -> dict:
    """Repo path of each run file: ``{'log': 'logs/<name>.log', 'metrics': ..., 'curves': ...}``."""
    return {kind: f"{LOGS_IN_REPO}/{getattr(paths, f'{kind}_file').name}" for kind in ("log", "metrics", "curves")}


def model_card_file(paths: RunPaths) -> Path:
    """``<save_dir>/logs/<script>-<config>.model_card.md``: the card as the run last generated it."""
    return paths.log_file.with_name(f"{paths.script_name}-{paths.config_name}.model_card.md")


def checkpoint_in_repo(name: str) -> str:
    return f"{CHECKPOINTS_IN_REPO}/{name}"


def weights_in_repo(epoch: int) -> str:
    """``weights/ep0003``: the folder of an epoch's inference weights in the repo."""
    return f"{WEIGHTS_IN_REPO}/ep{epoch:04d}"


def write_epoch_weights(state: dict, config_name: str, folder: Path, epoch: int) -> dict:
    """Write an epoch's ``model.safetensors`` and ``config.json`` under ``folder/weights/epNNNN/``, and the same
    files (hard links) at ``folder``'s root as the latest ones; returns ``{path in repo: local file}``."""
    info = weights_config(state["config"], config_name, epoch, base_model_of(state["config"]))
    written = write_weights(folder / weights_in_repo(epoch), state["net"], info)
    files = {f"{weights_in_repo(epoch)}/{path.name}": path for path in written}
    for path in written:
        latest = folder / path.name
        latest.unlink(missing_ok=True)
        try:
            os.link(path, latest)
        except OSError:
            shutil.copyfile(path, latest)  # a file system without hard links
        files[path.name] = latest
    return files


def stale_checkpoints(in_repo, files, strategy: str) -> list:
    """The training states a commit of ``files`` deletes: with ``latest_full``, every one but its own."""
    if strategy != "latest_full":
        return []
    return sorted(f for f in in_repo if f.startswith(f"{CHECKPOINTS_IN_REPO}/") and f.endswith(".pth.tar")
                  and f not in files)


def staging_root(paths: RunPaths) -> Path:
    """``<save_dir>/.hub_staging/<script>/<config>``: where epochs wait for their push."""
    return paths.save_dir / STAGING_DIR / paths.script_name / paths.config_name


def staged_folders(paths: RunPaths) -> list:
    """The staging folders of the run (epochs queued or left by an earlier run), oldest epoch first."""
    root = staging_root(paths)
    return sorted(p for p in root.glob("ep*") if p.is_dir()) if root.is_dir() else []


def make_card(config: dict, config_name: str, history: list, repo_files, parameters: dict | None,
              repo_id: str | None, paths: RunPaths, link_base: str = "", note: str = "",
              results_dir: str | Path | None = None):
    """The run's model card. ``repo_files``: every path the repo holds once the card is committed (it lists the
    checkpoints among them and links the run files present); links are relative to the repo root, or
    ``link_base`` + file name for a card kept next to the run's log; ``note``: a paragraph of the user's;
    ``results_dir``: where the run's scores are (default: as the tracking tools find it)."""
    repo_files = set(repo_files)
    links = {kind: (link_base + Path(name).name if link_base else name)
             for kind, name in run_file_names(paths).items() if name in repo_files}
    labels = {"log": "Training log", "metrics": "Metrics (JSON lines)"}
    checkpoints = sorted(f for f in repo_files
                         if f.startswith(f"{CHECKPOINTS_IN_REPO}/") and parse_checkpoint_name(f) is not None)
    weights = sorted(f.rsplit("/", 1)[0] for f in repo_files
                     if f.startswith(f"{WEIGHTS_IN_REPO}/") and f.endswith(f"/{WEIGHTS_FILE}"))
    summary = RunSummary(config=config, config_name=config_name, epochs=epoch_records(history),
                         checkpoints=checkpoints, parameters=parameters, repo_id=repo_id, curves=links.get("curves"),
                         files={labels[kind]: link for kind, link in links.items() if kind in labels}, note=note,
                         weights=weights, results=scored_results(paths, results_dir))
    return build_model_card(summary)


def scored_results(paths: RunPaths, results_dir: str | Path | None = None) -> list:
    """The run's latest scores per benchmark, as ``tracking/analysis_results.py`` left them in the results folders
    of its config (``<results_dir>/seqtrack/<config>[_epNNNN]/<tag>/scores.json``; the results root as the
    tracking tools find it for this run's ``--save_dir``)."""
    root = resolve_results_dir(results_dir, paths.save_dir) / paths.script_name
    latest: dict = {}
    for path in sorted(root.glob(f"{paths.config_name}*/*/{SCORES_FILE}")) if root.is_dir() else []:
        folder = path.parent.parent.name
        if folder != paths.config_name and not folder.startswith(f"{paths.config_name}_ep"):
            continue  # another config whose name starts the same
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        epoch = (record.get("checkpoint") or {}).get("epoch") or 0
        key = record.get("benchmark")
        if key and (key not in latest or epoch >= latest[key][0]):
            latest[key] = (epoch, record)
    return [record for _, record in sorted(latest.values(), key=lambda item: str(item[1].get("benchmark")))]


def draw_curves(metrics_file: Path, config_name: str, out: Path) -> bool:
    """Draw the Loss / IoU curves of a metrics file into ``out``; False (and a debug line) when it cannot."""
    try:
        from lib.runlog.curves import plot_training_curves
        from lib.runlog.records import read_metrics

        plot_training_curves({config_name: read_metrics(metrics_file)}, out, intervals=True)
        return True
    except Exception as exc:  # curves are a convenience: the commit goes ahead without them
        logger.debug("no curves for the Hub commit: %s", exc)
        return False


def push_files(api, repo_id: str, files: dict, message: str, private: bool, create: bool = True,
               delete: list = ()):
    """One commit of ``files`` (``{path in repo: local path}``) to the model repo, created first if needed, that
    also deletes the repo paths ``delete``."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    if create:
        api.create_repo(repo_id, private=private, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=repo_path, path_or_fileobj=str(local))
                  for repo_path, local in sorted(files.items())]
    operations += [CommitOperationDelete(path_in_repo=repo_path) for repo_path in delete]
    return api.create_commit(repo_id, operations, commit_message=message)


# --------------------------------------------------------------------------------------------- the hook
@dataclass
class EpochPush:
    """One queued epoch: its staged files and what its model card needs."""

    epoch: int
    staging: Path
    checkpoint: str  # path in the repo
    config: dict
    history: list
    parameters: dict
    strategy: str = "full"
    attempts: int = 0
    pushed: bool = False
    finished: bool = False  # pushed, or given up on by the worker
    reason: str = PENDING  # why it is not pushed (the last error while it is retried)
    commit: str | None = None

    def record(self) -> dict:
        """What ``push.json`` holds: enough to push the folder again from another process."""
        return {"epoch": self.epoch, "checkpoint": self.checkpoint, "config": self.config, "history": self.history,
                "parameters": self.parameters, "strategy": self.strategy}

    @classmethod
    def from_folder(cls, staging: Path) -> EpochPush:
        """The job of a staging folder, from its ``push.json`` (OSError / ValueError when it is missing or bad)."""
        record = json.loads((staging / PUSH_FILE).read_text())
        return cls(int(record["epoch"]), staging, str(record["checkpoint"]), dict(record["config"]),
                   list(record["history"]), dict(record["parameters"]), str(record.get("strategy", "full")))


class HubUploader:
    """Checkpoint hook ``hook(path, state)``: push epoch checkpoints (and the run's files) to ``repo_id``."""

    def __init__(self, repo_id: str, paths: RunPaths, *, private: bool = True, every: int = 1,
                 last_epoch: int | None = None, token: str | None = None, api=None, strategy: str = "full"):
        from huggingface_hub import HfApi

        if strategy not in STRATEGIES:
            raise ValueError(f"unknown upload strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
        self.repo_id = repo_id
        self.strategy = strategy
        self.paths = paths
        self.private = private
        self.every = max(int(every), 1)
        self.last_epoch = last_epoch
        self.api = api if api is not None else HfApi(token=token)
        self.retry_base = _env_number("SEQTRACK_HUB_RETRY_BASE", 2.0)
        self.attempts = max(_env_number("SEQTRACK_HUB_RETRY_ATTEMPTS", 5, int), 1)
        self.final_wait = _env_number("SEQTRACK_HUB_FINAL_WAIT", 1800.0)
        self.stall_timeout = _env_number("SEQTRACK_HUB_STALL_TIMEOUT", 120.0)
        set_stall_timeout(self.stall_timeout)
        self.staging_root = staging_root(paths)
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._results: list = []
        self._repo_ready = False
        self._in_repo: set = set()  # paths known to be in the repo (for the card's lists and links)
        self._worker: threading.Thread | None = None
        self._closed = False
        quiet_http_logging()

    # ------------------------------------------------------------------------------------ main thread
    def __call__(self, path: Path, state: dict) -> None:
        position = parse_checkpoint_name(path)
        if position is None or position.samples:
            return  # mid-epoch checkpoints are for resuming locally, not for publishing
        epoch = position.completed_epochs
        if epoch % self.every and epoch != self.last_epoch:
            logger.debug("Hub: epoch %d not pushed (TRAIN.HF.UPLOAD_EVERY %d)", epoch, self.every)
            return
        try:
            job = self._stage(epoch, Path(path), state)
        except OSError as exc:
            logger.warning("Hub: cannot stage epoch %d for upload to %s: %s; it will not be pushed", epoch,
                           self.repo_id, exc)
            self._results.append(EpochPush(epoch, Path(), "", {}, [], {}, finished=True,
                                           reason=f"could not be staged: {exc}"))
            return
        self._enqueue(job)
        logger.info("Hub: epoch %d queued for upload to %s", epoch, hub_url(self.repo_id))

    def _enqueue(self, job: EpochPush) -> None:
        self._results.append(job)
        self._queue.put(job)
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="hub-upload", daemon=True)
            self._worker.start()

    def push_staged(self) -> list:
        """Queue the epochs an earlier run staged but did not push (it was killed or interrupted); a folder
        whose staging never finished is removed. Returns the epochs queued."""
        queued, broken = [], []
        for folder in staged_folders(self.paths):
            try:
                job = EpochPush.from_folder(folder)
            except (OSError, ValueError, KeyError) as exc:
                broken.append((folder, exc))
                continue
            self._enqueue(job)
            queued.append(job.epoch)
        for folder, exc in broken:
            logger.warning("Hub: removing %s, an epoch's staging that never finished (%s); push that epoch by "
                           "hand if it matters: python scripts/upload_checkpoint.py <its checkpoint> --repo_id %s",
                           folder, exc, self.repo_id)
            shutil.rmtree(folder, ignore_errors=True)
        if queued:
            logger.info("Hub: epoch(s) %s were staged by an earlier run but not pushed: pushing them to %s first",
                        format_epochs(queued), hub_url(self.repo_id))
        return queued

    def _stage(self, epoch: int, checkpoint: Path, state: dict) -> EpochPush:
        """Snapshot the epoch's files under a fresh staging folder, laid out as in the repo, ``push.json`` last."""
        staging = self.staging_root / f"ep{epoch:04d}-{secrets.token_hex(4)}"  # unique: never one being pushed
        staging.mkdir(parents=True)
        if self.strategy != "weights":
            target = staging / checkpoint_in_repo(checkpoint.name)
            target.parent.mkdir()
            try:
                os.link(checkpoint, target)  # same inode: instant, and it survives the checkpoint's pruning
            except OSError:
                shutil.copy2(checkpoint, target)  # a file system without hard links
        write_epoch_weights(state, self.paths.config_name, staging, epoch)
        names = run_file_names(self.paths)
        for kind in ("log", "metrics"):
            source = getattr(self.paths, f"{kind}_file")
            if source.is_file():
                (staging / names[kind]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, staging / names[kind])
        job = EpochPush(epoch, staging, checkpoint_in_repo(checkpoint.name), dict(state["config"]),
                        list(state["history"]), parameter_counts(state["net"]), self.strategy)
        write_text_atomic(staging / PUSH_FILE, json.dumps(job.record()) + "\n")
        return job

    @property
    def local_card(self) -> Path:
        """The copy of the card the run keeps next to its log."""
        return model_card_file(self.paths)

    def close(self, interrupted: bool = False, timeout: float | None = None, reason: str | None = None) -> list:
        """Wait (at most ``timeout`` s, default SEQTRACK_HUB_FINAL_WAIT) for pending pushes; log a summary.

        ``interrupted`` (the run failed or was stopped): do not wait. ``reason`` says why epochs still pending
        after the wait are not pushed (default: the wait ran out).

        Ctrl-C ends the wait: the summary is logged, the unpushed epochs stay staged for the next run, and the
        KeyboardInterrupt goes on.
        """
        if self._closed:
            return self._results
        self._closed = True
        if interrupted:
            timeout = 0.0
            reason = reason or "still pending when the run stopped early; the next run with uploads pushes it"
        timeout = self.final_wait if timeout is None else timeout
        try:
            if self._worker is not None:
                self._queue.put(None)
                self._wait(timeout, reason or f"still pending after waiting {timeout:g} s at the end of the run")
        except KeyboardInterrupt:
            self._give_up("interrupted (Ctrl-C) while the run waited for it")
            self._log_summary()
            raise
        self._log_summary()
        return self._results

    def _pending(self) -> list:
        return [job.epoch for job in self._results if not job.finished]

    def _wait(self, timeout: float, reason: str) -> None:
        """Join the worker for at most ``timeout`` s, saying what it waits for, then give up on what is left."""
        deadline = time.monotonic() + timeout
        next_report = time.monotonic()
        while self._worker.is_alive() and self._pending():
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                self._give_up(reason)
                return
            if now >= next_report:
                logger.info("Hub: waiting for the upload of epoch(s) %s to %s (at most %.0f s more; Ctrl-C stops "
                            "waiting and keeps them staged for the next run)", format_epochs(self._pending()),
                            hub_url(self.repo_id), remaining)
                next_report = now + _WAIT_REPORT_EVERY
            # Short joins: Ctrl-C is acted on within _JOIN_POLL whichever thread the kernel hands SIGINT to (a
            # long join only notices a signal that interrupts its own wait).
            self._worker.join(min(remaining, _JOIN_POLL))

    def _give_up(self, reason: str) -> None:
        """Stop the worker at its next retry wait and mark every pending epoch with ``reason``."""
        self._stop.set()
        for job in self._results:
            if not job.finished:
                job.reason = reason if job.reason == PENDING else f"{reason} (last error: {job.reason})"

    def _log_summary(self) -> None:
        pushed = [job.epoch for job in self._results if job.pushed]
        failed = [job for job in self._results if not job.pushed]
        if pushed:
            logger.info("Hub: pushed epoch(s) %s to %s", format_epochs(pushed), hub_url(self.repo_id))
        for job in failed:
            staged = job.staging / job.checkpoint if job.checkpoint else None
            later = (f"; its files are kept in {job.staging}; push it later with: python scripts/upload_checkpoint.py "
                     f"{staged} --repo_id {self.repo_id} --config {self.paths.config_name}") if staged else ""
            logger.warning("Hub: epoch %d was NOT pushed to %s: %s%s", job.epoch, self.repo_id, job.reason, later)
        if not self._results:
            logger.info("Hub: no epoch was due for upload to %s", self.repo_id)

    # ------------------------------------------------------------------------------------ worker thread
    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._push_with_retries(job)
            except Exception as exc:  # the worker must outlive any surprise, or later epochs would hang
                job.reason = f"unexpected error: {describe_error(exc)}"
                logger.exception("Hub: unexpected error while pushing epoch %d", job.epoch)
            job.finished = True

    def _card(self, job: EpochPush, link_base: str = ""):
        staged = set(self._staged_files(job))
        after = (self._in_repo - set(stale_checkpoints(self._in_repo, staged, job.strategy))) | staged
        return make_card(job.config, self.paths.config_name, job.history, after | {CARD_IN_REPO},
                         job.parameters, self.repo_id, self.paths, link_base)

    def _push_with_retries(self, job: EpochPush) -> None:
        names = run_file_names(self.paths)
        draw_curves(job.staging / names["metrics"], self.paths.config_name, job.staging / names["curves"])
        try:  # the run keeps its own copy of the card next to its log, whether or not the Hub answers
            write_model_card(self._card(job, link_base="./"), self.local_card)
        except OSError as exc:
            logger.warning("Hub: cannot write the local model card %s: %s", self.local_card, exc)
        while not self._stop.is_set():
            job.attempts += 1
            try:
                self._push(job)
            except Exception as exc:  # any failure of the client is reported and retried, never raised
                job.reason = describe_error(exc)
                if job.attempts >= self.attempts:
                    logger.warning("Hub: upload of epoch %d to %s failed (attempt %d of %d): %s; giving up on this "
                                   "epoch", job.epoch, self.repo_id, job.attempts, self.attempts, job.reason)
                    return
                delay = min(self.retry_base * 2 ** (job.attempts - 1), _MAX_RETRY_DELAY)
                logger.warning("Hub: upload of epoch %d to %s failed (attempt %d of %d): %s; retrying in %.1f s",
                               job.epoch, self.repo_id, job.attempts, self.attempts, job.reason, delay)
                self._stop.wait(delay)
                continue
            job.pushed, job.reason = True, ""
            logger.info("Hub: pushed epoch %d to %s (commit %s)", job.epoch, hub_url(self.repo_id),
                        (job.commit or "")[:10])
            shutil.rmtree(job.staging, ignore_errors=True)
            return

    @staticmethod
    def _staged_files(job: EpochPush) -> dict:
        """``{path in repo: staged file}`` of a job (its ``push.json`` is for this machine, not the repo)."""
        return {p.relative_to(job.staging).as_posix(): p for p in sorted(job.staging.rglob("*"))
                if p.is_file() and p.name != PUSH_FILE}

    def _push(self, job: EpochPush) -> None:
        if not self._repo_ready:
            self.api.create_repo(self.repo_id, private=self.private, exist_ok=True)
            self._in_repo.update(self.api.list_repo_files(self.repo_id))  # a resumed run's earlier epochs
            self._repo_ready = True
        write_model_card(self._card(job), job.staging / CARD_IN_REPO)
        files = self._staged_files(job)
        stale = stale_checkpoints(self._in_repo, files, job.strategy)
        what = "weights" if job.strategy == "weights" else "checkpoint, weights"
        info = push_files(self.api, self.repo_id, files, f"Epoch {job.epoch}: {what}, log, metrics, curves, "
                          "model card", self.private, create=False, delete=stale)
        job.commit = getattr(info, "oid", None)
        self._in_repo.difference_update(stale)
        self._in_repo.update(files)


def hub_uploader_from_config(cfg, paths: RunPaths) -> HubUploader | None:
    """The uploader TRAIN.HF asks for (REPO_ID set and UPLOAD on), else None."""
    hf = cfg.TRAIN.HF
    if not hf.REPO_ID or not hf.UPLOAD:
        return None
    from huggingface_hub import get_token

    if get_token() is None:
        logger.warning("Hub: no Hugging Face token (set HF_TOKEN or run 'hf auth login'): uploads to %s will fail; "
                       "training goes on and the checkpoints stay on disk", hf.REPO_ID)
    logger.info("Hub: pushing epochs to %s (every %d epoch(s) and the last, %s repo, strategy %s: %s) in the "
                "background", hub_url(hf.REPO_ID), hf.UPLOAD_EVERY, "private" if hf.PRIVATE else "public", hf.STRATEGY,
                STRATEGY_TEXT[hf.STRATEGY])
    uploader = HubUploader(hf.REPO_ID, paths, private=hf.PRIVATE, every=hf.UPLOAD_EVERY, last_epoch=cfg.TRAIN.EPOCH,
                           strategy=hf.STRATEGY)
    uploader.push_staged()
    return uploader


def report_staged_without_uploads(paths: RunPaths) -> list:
    """With uploads off: warn about epochs an earlier run staged and never pushed, with the command that pushes
    each. Returns their folders."""
    folders = staged_folders(paths)
    for folder in folders:
        checkpoints = sorted((folder / CHECKPOINTS_IN_REPO).glob("*.pth.tar"))
        target = checkpoints[0] if checkpoints else folder
        logger.warning("Hub: %s holds an epoch staged by an earlier run and never pushed; push it with: python "
                       "scripts/upload_checkpoint.py %s --repo_id USER/NAME --config %s (or train with "
                       "TRAIN.HF.REPO_ID set: the run pushes it first)", folder, target, paths.config_name)
    return folders
