"""Publish a run on the Hugging Face Hub: a checkpoint hook that pushes every epoch in the background.

Each pushed epoch is one commit to the model repo holding::

    checkpoints/SEQTRACK_ep0003.pth.tar
    logs/seqtrack-<config>.log  .metrics.jsonl  .curves.png
    README.md                               the model card (lib/utils/model_card.py)

The hook runs on rank 0 right after a checkpoint is saved. It snapshots what the commit needs into
``<save_dir>/.hub_staging/`` (a hard link to the checkpoint, so that pruning with TRAIN.KEEP_CHECKPOINTS cannot
take it away; copies of the log and metrics, which keep growing) and queues the epoch. One worker thread pushes
the queue in order; training never waits for it. A failed push (no token, 401, network down, server error) is a
WARNING with the reason and is retried with exponential backoff; it never stops training and never touches a
file of the run. At the end, :meth:`HubUploader.close` waits (bounded) for what is left and says which epochs
were pushed and which were not, and why. Staged files are removed once pushed and kept when a push failed.

Retry settings, for tests and slow networks: ``SEQTRACK_HUB_RETRY_BASE`` (seconds before the first retry,
doubled each time; default 2), ``SEQTRACK_HUB_RETRY_ATTEMPTS`` (default 5), ``SEQTRACK_HUB_FINAL_WAIT``
(seconds the end of the run waits for pending pushes; default 1800).
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from lib.train.trainers.base_trainer import RunPaths
from lib.utils.checkpoint_io import parse_checkpoint_name
from lib.utils.hub import describe_error, hub_url, quiet_http_logging
from lib.utils.model_card import RunSummary, build_model_card, parameter_counts, write_model_card
from lib.utils.run_metrics import epoch_records, format_epochs

logger = logging.getLogger(__name__)

STAGING_DIR = ".hub_staging"
CHECKPOINTS_IN_REPO = "checkpoints"
LOGS_IN_REPO = "logs"
CARD_IN_REPO = "README.md"
_MAX_RETRY_DELAY = 300.0


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


def make_card(config: dict, config_name: str, history: list, repo_files, parameters: dict | None,
              repo_id: str | None, paths: RunPaths, link_base: str = "", note: str = ""):
    """The run's model card. ``repo_files``: every path the repo holds once the card is committed (it lists the
    checkpoints among them and links the run files present); links are relative to the repo root, or
    ``link_base`` + file name for a card kept next to the run's log; ``note``: a paragraph of the user's."""
    repo_files = set(repo_files)
    links = {kind: (link_base + Path(name).name if link_base else name)
             for kind, name in run_file_names(paths).items() if name in repo_files}
    labels = {"log": "Training log", "metrics": "Metrics (JSON lines)"}
    checkpoints = sorted(f for f in repo_files
                         if f.startswith(f"{CHECKPOINTS_IN_REPO}/") and parse_checkpoint_name(f) is not None)
    summary = RunSummary(config=config, config_name=config_name, epochs=epoch_records(history),
                         checkpoints=checkpoints, parameters=parameters, repo_id=repo_id, curves=links.get("curves"),
                         files={labels[kind]: link for kind, link in links.items() if kind in labels}, note=note)
    return build_model_card(summary)


def draw_curves(metrics_file: Path, config_name: str, out: Path) -> bool:
    """Draw the Loss / IoU curves of a metrics file into ``out``; False (and a debug line) when it cannot."""
    try:
        from lib.utils.plotting import plot_training_curves
        from lib.utils.run_metrics import read_metrics

        plot_training_curves({config_name: read_metrics(metrics_file)}, out, intervals=True)
        return True
    except Exception as exc:  # curves are a convenience: the commit goes ahead without them
        logger.debug("no curves for the Hub commit: %s", exc)
        return False


def push_files(api, repo_id: str, files: dict, message: str, private: bool, create: bool = True):
    """One commit of ``files`` (``{path in repo: local path}``) to the model repo, created first if needed."""
    from huggingface_hub import CommitOperationAdd

    if create:
        api.create_repo(repo_id, private=private, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=repo_path, path_or_fileobj=str(local))
                  for repo_path, local in sorted(files.items())]
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
    attempts: int = 0
    pushed: bool = False
    reason: str = "still pending when the run ended"
    commit: str | None = None


class HubUploader:
    """Checkpoint hook ``hook(path, state)``: push epoch checkpoints (and the run's files) to ``repo_id``."""

    def __init__(self, repo_id: str, paths: RunPaths, *, private: bool = True, every: int = 1,
                 last_epoch: int | None = None, token: str | None = None, api=None):
        from huggingface_hub import HfApi

        self.repo_id = repo_id
        self.paths = paths
        self.private = private
        self.every = max(int(every), 1)
        self.last_epoch = last_epoch
        self.api = api if api is not None else HfApi(token=token)
        self.retry_base = _env_number("SEQTRACK_HUB_RETRY_BASE", 2.0)
        self.attempts = max(_env_number("SEQTRACK_HUB_RETRY_ATTEMPTS", 5, int), 1)
        self.final_wait = _env_number("SEQTRACK_HUB_FINAL_WAIT", 1800.0)
        self.staging_root = paths.save_dir / STAGING_DIR / paths.script_name / paths.config_name
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
            self._results.append(EpochPush(epoch, Path(), "", {}, [], {}, reason=f"could not be staged: {exc}"))
            return
        self._results.append(job)
        self._queue.put(job)
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="hub-upload", daemon=True)
            self._worker.start()
        logger.info("Hub: epoch %d queued for upload to %s", epoch, hub_url(self.repo_id))

    def _stage(self, epoch: int, checkpoint: Path, state: dict) -> EpochPush:
        """Snapshot the epoch's files under the staging folder, laid out as in the repo."""
        staging = self.staging_root / f"ep{epoch:04d}"
        if staging.exists():
            shutil.rmtree(staging)
        (staging / CHECKPOINTS_IN_REPO).mkdir(parents=True)
        target = staging / checkpoint_in_repo(checkpoint.name)
        try:
            os.link(checkpoint, target)  # same inode: instant, and it survives the checkpoint's pruning
        except OSError:
            shutil.copy2(checkpoint, target)  # a file system without hard links
        names = run_file_names(self.paths)
        for kind in ("log", "metrics"):
            source = getattr(self.paths, f"{kind}_file")
            if source.is_file():
                (staging / names[kind]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, staging / names[kind])
        return EpochPush(epoch, staging, checkpoint_in_repo(checkpoint.name), dict(state["config"]),
                         list(state["history"]), parameter_counts(state["net"]))

    @property
    def local_card(self) -> Path:
        """The copy of the card the run keeps next to its log."""
        return model_card_file(self.paths)

    def close(self, timeout: float | None = None) -> list:
        """Wait (at most ``timeout`` s, default SEQTRACK_HUB_FINAL_WAIT) for pending pushes; log a summary."""
        if self._closed:
            return self._results
        self._closed = True
        timeout = self.final_wait if timeout is None else timeout
        if self._worker is not None:
            self._queue.put(None)
            pending = sum(not job.pushed for job in self._results)
            if pending and self._worker.is_alive():
                logger.info("Hub: waiting for %d pending upload(s) to %s (at most %s s)", pending, self.repo_id,
                            f"{timeout:g}")
            self._worker.join(timeout)
            if self._worker.is_alive():
                self._stop.set()  # give up: the worker stops at its next retry wait
                for job in self._results:
                    if not job.pushed and job.reason == "still pending when the run ended":
                        job.reason = f"still pending after waiting {timeout:g} s at the end of the run"
        self._log_summary()
        return self._results

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

    def _card(self, job: EpochPush, link_base: str = ""):
        staged = {p.relative_to(job.staging).as_posix() for p in job.staging.rglob("*") if p.is_file()}
        return make_card(job.config, self.paths.config_name, job.history, self._in_repo | staged | {CARD_IN_REPO},
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
        job.reason = f"{job.reason} (gave up when the run ended)"

    def _push(self, job: EpochPush) -> None:
        if not self._repo_ready:
            self.api.create_repo(self.repo_id, private=self.private, exist_ok=True)
            self._in_repo.update(self.api.list_repo_files(self.repo_id))  # a resumed run's earlier epochs
            self._repo_ready = True
        write_model_card(self._card(job), job.staging / CARD_IN_REPO)
        files = {p.relative_to(job.staging).as_posix(): p for p in sorted(job.staging.rglob("*")) if p.is_file()}
        info = push_files(self.api, self.repo_id, files, f"Epoch {job.epoch}: checkpoint, log, metrics, curves, "
                          "model card", self.private, create=False)
        job.commit = getattr(info, "oid", None)
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
    logger.info("Hub: pushing epoch checkpoints to %s (every %d epoch(s) and the last, %s repo) in the background",
                hub_url(hf.REPO_ID), hf.UPLOAD_EVERY, "private" if hf.PRIVATE else "public")
    return HubUploader(hf.REPO_ID, paths, private=hf.PRIVATE, every=hf.UPLOAD_EVERY, last_epoch=cfg.TRAIN.EPOCH)
