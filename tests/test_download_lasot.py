"""scripts/download_lasot.py against a dataset repo of class zips on the local Hub (tests/hub_server.py): only the
chosen classes are fetched, zips with and without a top <class>/ folder unpack to the LaSOT layout, every sequence is
checked, an interrupted run is finished by running it again, and wrong input is refused in one line."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from e2e import load_script

REPO = "l-lt/LaSOT"
download_lasot = load_script("download_lasot")


def make_zip(source: Path, name: str, target: Path, top_folder: bool, drop_frame_of: str | None = None) -> bytes:
    """A class zip of ``source/<name>``; ``drop_frame_of`` names a sequence whose last frame is left out."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted((source / name).rglob("*")):
            if not path.is_file():
                continue
            inside = path.relative_to(source if top_folder else source / name).as_posix()
            if drop_frame_of and path.parent.name == "img" and path.parent.parent.name == drop_frame_of \
                    and path.name == "00000060.jpg":
                continue
            archive.write(path, inside)
    return target.read_bytes()


@pytest.fixture(scope="module")
def class_zips(synthetic_lasot, tmp_path_factory) -> dict:
    """mouse.zip with a top folder, electricfan.zip without, and a mouse.zip with a frame missing."""
    folder = tmp_path_factory.mktemp("zips")
    return {"mouse.zip": make_zip(synthetic_lasot, "mouse", folder / "mouse.zip", top_folder=True),
            "electricfan.zip": make_zip(synthetic_lasot, "electricfan", folder / "electricfan.zip", top_folder=False),
            "broken": make_zip(synthetic_lasot, "mouse", folder / "broken.zip", top_folder=True,
                               drop_frame_of="mouse-3")}


@pytest.fixture
def dataset_repo(hub, class_zips):
    hub.create(REPO, "dataset", files={"mouse.zip": class_zips["mouse.zip"],
                                       "electricfan.zip": class_zips["electricfan.zip"],
                                       "bear.zip": b"not wanted: never downloaded"})
    return hub


def zip_downloads(server) -> list:
    return [Path(path).name for method, path in server.requests if method == "GET" and "/resolve/" in path]


def same_sequence(a: Path, b: Path) -> bool:
    frames = lambda sequence: sorted(p.name for p in (sequence / "img").iterdir())  # noqa: E731
    return (a / "groundtruth.txt").read_bytes() == (b / "groundtruth.txt").read_bytes() and frames(a) == frames(b)


def test_chosen_classes_unpack_to_the_lasot_layout(dataset_repo, synthetic_lasot, tmp_path, capsys):
    out = tmp_path / "lasot"
    assert download_lasot.main(["--classes", "mouse", "electricfan", "--out", str(out)]) == 0
    assert sorted(zip_downloads(dataset_repo)) == ["electricfan.zip", "mouse.zip"]  # not bear.zip
    for name in ("mouse", "electricfan"):  # with and without a top folder in the zip: the same layout
        sequences = sorted(p.name for p in (out / name).iterdir())
        assert len(sequences) == 20 and f"{name}-1" in sequences
        for sequence in (f"{name}-1", f"{name}-20"):
            assert same_sequence(out / name / sequence, synthetic_lasot / name / sequence)
    assert not list(out.glob(".*.unpacking")) and not list((out / ".downloads").glob("*.zip"))
    table = capsys.readouterr().out
    assert "mouse" in table and "1,200" in table and "unpacked" in table


def test_a_rerun_skips_complete_classes_and_redoes_interrupted_ones(dataset_repo, tmp_path, capsys):
    out = tmp_path / "lasot"
    assert download_lasot.main(["--classes", "mouse", "electricfan", "--out", str(out)]) == 0
    # An interrupted earlier run: electricfan half unpacked by hand, a staging folder left behind.
    (out / "electricfan" / "electricfan-7" / "img" / "00000060.jpg").unlink()
    shutil.rmtree(out / "electricfan" / "electricfan-12")
    (out / ".mouse.unpacking" / "mouse").mkdir(parents=True)
    dataset_repo.requests.clear()
    assert download_lasot.main(["--classes", "mouse", "electricfan", "--out", str(out)]) == 0
    assert zip_downloads(dataset_repo) == ["electricfan.zip"]
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("mouse") and line.endswith("skipped") for line in lines)
    assert any(line.startswith("electricfan") and line.endswith("unpacked") for line in lines)
    assert (out / "electricfan" / "electricfan-7" / "img" / "00000060.jpg").is_file()
    assert (out / "electricfan" / "electricfan-12").is_dir()
    assert not (out / ".mouse.unpacking").exists()


def test_a_zip_with_a_broken_sequence_is_refused_and_nothing_is_put_in_place(hub, class_zips, tmp_path, capsys):
    hub.create(REPO, "dataset", files={"mouse.zip": class_zips["broken"]})
    out = tmp_path / "lasot"
    assert download_lasot.main(["--classes", "mouse", "--out", str(out)]) == 2
    err = capsys.readouterr().err  # the client's progress bar, then one error line
    assert "Traceback" not in err
    assert "mouse-3: 1 of its 60 annotated frames are missing from img/ (first: 00000060.jpg)" in err.splitlines()[-1]
    assert not (out / "mouse").exists() and not (out / ".mouse.unpacking").exists()


def test_unknown_or_missing_classes_are_refused(dataset_repo, tmp_path, capsys):
    assert download_lasot.main(["--classes", "mouse", "mousse", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown LaSOT class 'mousse'; did you mean 'mouse'?" in err and "Valid classes: airplane," in err
    assert not dataset_repo.requests  # refused before any download
    assert download_lasot.main(["--classes", "zebra", "--out", str(tmp_path)]) == 2
    assert "the dataset repo l-lt/LaSOT has no zebra.zip" in capsys.readouterr().err
    assert download_lasot.main(["--classes", "mouse", "--repo_id", "nobody/none", "--out", str(tmp_path)]) == 2
    assert "repository not found" in capsys.readouterr().err
