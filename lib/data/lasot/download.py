"""Fetch chosen LaSOT classes from the Hugging Face Hub and unpack them into the LaSOT layout.

The dataset repo (``l-lt/LaSOT``) holds one zip per class at its root (``mouse.zip``). Only the chosen classes'
zips are downloaded (``snapshot_download(allow_patterns=[...])``, into ``<out>/.downloads``, where an
interrupted download resumes). A zip may or may not have a top ``<class>/`` folder; either way the class ends up
as ``<out>/<class>/<class>-<n>/{img/, groundtruth.txt, ...}``.

Re-running is safe: a class is unpacked into a temporary folder, every sequence is checked (every frame its
ground truth counts is in ``img/``: :mod:`lib.data.lasot.layout`), and only then renamed into place, so
``<out>/<class>`` is either absent, complete, or something an earlier run or the user left incomplete — which
the check finds and redoes. Complete classes are skipped.
"""

from __future__ import annotations

import logging
import os
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.lasot.annotations import GROUNDTRUTH, count_groundtruth_frames
from lib.data.lasot.layout import incompleteness
from lib.data.lasot.splits import check_classes, sequences_of
from lib.hub.client import HubError

logger = logging.getLogger(__name__)

DEFAULT_REPO = "l-lt/LaSOT"
DOWNLOADS_DIR = ".downloads"


@dataclass(frozen=True)
class ClassResult:
    name: str
    action: str  # 'skipped' (already complete) or 'unpacked'
    sequences: int
    frames: int


def expected_sequences(name: str) -> list:
    """The class's 20 sequence names (official train + test split)."""
    return sequences_of("train", [name]) + sequences_of("test", [name])


def check_sequence(directory: Path) -> tuple:
    """``(frames, problem)`` of one sequence folder; ``problem`` is None when it is complete."""
    if not directory.is_dir():
        return 0, "missing"
    if not (directory / "img").is_dir():
        return 0, "no img/ folder"
    if not (directory / GROUNDTRUTH).is_file():
        return 0, f"no {GROUNDTRUTH}"
    frames = count_groundtruth_frames(directory)
    if frames == 0:
        return 0, f"{GROUNDTRUTH} holds no boxes"
    return frames, incompleteness(directory, frames)


def check_class(root: Path, name: str) -> tuple:
    """``(frames, problems)`` of ``root``'s copy of class ``name``: every expected sequence checked."""
    total, problems = 0, []
    for sequence in expected_sequences(name):
        frames, problem = check_sequence(root / sequence)
        total += frames
        if problem:
            problems.append(f"{sequence}: {problem}")
    return total, problems


def _extract(zip_path: Path, target: Path) -> None:
    """Unpack ``zip_path`` into ``target``, refusing members that would land outside it."""
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            resolved = (target / member).resolve()
            if not resolved.is_relative_to(target.resolve()):
                raise DatasetError(f"{zip_path.name} holds a member outside its folder: {member!r}")
        archive.extractall(target)


def _class_root(unpacked: Path, name: str, zip_name: str) -> Path:
    """Where the sequences are in an unpacked zip: under a top ``<class>/`` folder, or at its root."""
    first = f"{name}-"
    if (unpacked / name).is_dir() and any(p.name.startswith(first) for p in (unpacked / name).iterdir()):
        return unpacked / name
    if any(p.is_dir() and p.name.startswith(first) for p in unpacked.iterdir()):
        return unpacked
    raise DatasetError(f"{zip_name} holds neither {name}/{name}-1/... nor {name}-1/...: not a LaSOT class zip")


def unpack_class(zip_path: Path, out: Path, name: str) -> int:
    """Unpack one class zip into ``out/<name>`` (checked first, then renamed into place); its frame count."""
    staging = out / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)  # left by an interrupted run
    staging.mkdir(parents=True)
    try:
        try:
            _extract(zip_path, staging)
        except zipfile.BadZipFile as exc:
            raise DatasetError(f"{zip_path} is not a valid zip ({exc}); delete it and run again") from None
        root = _class_root(staging, name, zip_path.name)
        frames, problems = check_class(root, name)
        if problems:
            raise DatasetError(f"{zip_path.name} does not hold a complete class {name}: " + "; ".join(problems[:5])
                               + (f" and {len(problems) - 5} more" if len(problems) > 5 else ""))
        target = out / name
        if target.exists():  # incomplete (it failed the check): replaced, after the new copy is known good
            logger.info("%s: replacing the incomplete %s", name, target)
            old = out / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(target, old)
            shutil.rmtree(old)
        os.rename(root, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return frames


def download_classes(classes: Sequence[str], out: str | Path, repo_id: str = DEFAULT_REPO,
                     revision: str | None = None, keep_zips: bool = False) -> list:
    """Download and unpack ``classes`` into ``out``; one :class:`ClassResult` per class, in order.

    Raises :class:`DatasetError` for an unknown class (naming the valid ones), a class the repo does not have,
    or a zip whose sequences fail the check. Hub failures surface as :class:`lib.hub.client.HubError`.
    """
    if not classes:
        raise DatasetError("name at least one LaSOT class to download")
    classes = check_classes(classes)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results, todo = {}, []
    for name in classes:
        for leftover in (f".{name}.unpacking", f".{name}.old"):  # left by an interrupted run
            shutil.rmtree(out / leftover, ignore_errors=True)
        frames, problems = check_class(out / name, name)
        if not problems:
            logger.info("%s: already complete (%d sequences, %d frames), skipped", name,
                        len(expected_sequences(name)), frames)
            results[name] = ClassResult(name, "skipped", len(expected_sequences(name)), frames)
        else:
            if (out / name).exists():
                logger.info("%s: incomplete in %s (%s), downloading it again", name, out, problems[0])
            todo.append(name)
    if todo:
        downloads = _fetch_zips(todo, out / DOWNLOADS_DIR, repo_id, revision)
        for name in todo:
            frames = unpack_class(downloads / f"{name}.zip", out, name)
            logger.info("%s: unpacked %d sequences, %d frames into %s", name, len(expected_sequences(name)),
                        frames, out / name)
            results[name] = ClassResult(name, "unpacked", len(expected_sequences(name)), frames)
            if not keep_zips:
                (downloads / f"{name}.zip").unlink(missing_ok=True)
    return [results[name] for name in classes]


def _fetch_zips(classes: Sequence[str], folder: Path, repo_id: str, revision: str | None) -> Path:
    """Download the classes' zips into ``folder``; the repo is listed first, so that a wrong repo, a refused
    token or a class the repo lacks is reported before anything is downloaded."""
    from huggingface_hub import HfApi, snapshot_download

    from lib.hub.client import hub_error, quiet_http_logging

    quiet_http_logging()
    patterns = [f"{name}.zip" for name in classes]
    try:
        available = set(HfApi().list_repo_files(repo_id, repo_type="dataset", revision=revision))
    except Exception as exc:  # the client raises many types (HTTP, network): all become one line
        raise hub_error(f"cannot list the dataset repo {repo_id}", exc) from exc
    missing = [p for p in patterns if p not in available]
    if missing:
        raise DatasetError(f"the dataset repo {repo_id} has no {', '.join(missing)} (one zip per class expected "
                           "at its root)")
    logger.info("Downloading %s from the dataset repo %s", ", ".join(patterns), repo_id)
    try:
        snapshot_download(repo_id, repo_type="dataset", revision=revision, allow_patterns=patterns,
                          local_dir=str(folder))
    except Exception as exc:  # the client raises many types (HTTP, network, cache): all become one line
        raise hub_error(f"cannot download {', '.join(patterns)} from dataset {repo_id}", exc) from exc
    not_there = [p for p in patterns if not (folder / p).is_file()]
    if not_there:
        raise HubError(f"downloading {', '.join(not_there)} from dataset {repo_id} left no file; run again")
    return folder
