"""The synthetic LaSOT generator: LaSOT layout, flags, a visible object in its box, byte-identical reruns."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from e2e import load_script

from lib.data.errors import DatasetError
from lib.data.image_loader import opencv_loader
from lib.data.lasot.annotations import read_sequence_annotation
from lib.data.lasot.train_set import Lasot
from lib.data.synthetic.lasot import make_synthetic_lasot
from lib.data.synthetic.video import class_look, object_texture, trajectory
from lib.data.synthetic.video import generator as _generator

REPO_ROOT = Path(__file__).resolve().parents[1]
script = load_script("make_synthetic_lasot")

SMALL = dict(sequences=20, frames=40, size=(96, 72))


def tree_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    make_synthetic_lasot(root, ["mouse", "electricfan"], seed=4, workers=2, **SMALL)
    return root


def test_layout_and_annotation_files(generated):
    for cls in ("mouse", "electricfan"):
        names = sorted(p.name for p in (generated / cls).iterdir())
        assert names == sorted(f"{cls}-{n}" for n in range(1, 21))
        seq = generated / cls / f"{cls}-7"
        assert sorted(p.name for p in (seq / "img").iterdir()) == [f"{i:08d}.jpg" for i in range(1, 41)]
        boxes = [line.split(",") for line in (seq / "groundtruth.txt").read_text().splitlines()]
        assert len(boxes) == 40 and all(len(b) == 4 and int(b[2]) > 0 and int(b[3]) > 0 for b in boxes)
        for flags in ("full_occlusion.txt", "out_of_view.txt"):
            lines = (seq / flags).read_text().splitlines()
            assert len(lines) == 1 and len(lines[0].split(",")) == 40 and set(lines[0].split(",")) <= {"0", "1"}
        assert cls in (seq / "nlp.txt").read_text()
    assert cv2.imread(str(generated / "mouse" / "mouse-1" / "img" / "00000001.jpg")).shape == (72, 96, 3)


def test_the_official_split_gives_16_train_and_4_test_sequences(generated):
    assert Lasot(generated, "train", ["mouse", "electricfan"]).get_num_sequences() == 32
    assert Lasot(generated, "test", ["mouse"]).get_num_sequences() == 4


def object_mismatch(frame: np.ndarray, box, cls: str) -> float:
    """Mean absolute RGB difference between the frame inside ``box`` and the class's object drawn there."""
    texture, mask = object_texture(class_look(cls))
    x, y, w, h = (int(v) for v in box)
    expected = cv2.cvtColor(cv2.resize(texture, (w, h)), cv2.COLOR_BGR2RGB).astype(np.int32)
    inside = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    patch = frame[y0:y1, x0:x1].astype(np.int32)
    diff = np.abs(patch - expected[y0 - y:y1 - y, x0 - x:x1 - x]).mean(axis=2)
    return float(diff[inside[y0 - y:y1 - y, x0 - x:x1 - x]].mean())


def test_object_is_drawn_in_its_box_and_hidden_in_absent_frames(tmp_path):
    make_synthetic_lasot(tmp_path, ["mouse", "electricfan"], sequences=4, frames=40, seed=4, workers=1)
    flagged = {"full_occlusion": 0, "out_of_view": 0}
    for cls in ("mouse", "electricfan"):
        for n in range(1, 5):
            seq_dir = tmp_path / cls / f"{cls}-{n}"
            anno = read_sequence_annotation(seq_dir)
            flagged["full_occlusion"] += int(anno.full_occlusion.sum())
            flagged["out_of_view"] += int(anno.out_of_view.sum())
            for frame_id in range(0, 40, 3):
                frame = opencv_loader(str(seq_dir / "img" / f"{frame_id + 1:08d}.jpg"))
                mismatch = object_mismatch(frame, anno.bbox[frame_id], cls)
                visible = bool(anno.visible[frame_id])
                assert (mismatch < 40) if visible else (mismatch > 40), (seq_dir.name, frame_id, mismatch)
    assert flagged["full_occlusion"] > 0 and flagged["out_of_view"] > 0


def test_same_seed_gives_byte_identical_files_whatever_the_workers(generated, tmp_path):
    make_synthetic_lasot(tmp_path / "again", ["mouse", "electricfan"], seed=4, workers=1, **SMALL)
    assert tree_bytes(generated) == tree_bytes(tmp_path / "again")
    make_synthetic_lasot(tmp_path / "other", ["mouse"], seed=5, workers=1, **SMALL)
    first = (generated / "mouse" / "mouse-1" / "groundtruth.txt").read_text()
    assert first != (tmp_path / "other" / "mouse" / "mouse-1" / "groundtruth.txt").read_text()


def test_rerun_keeps_identical_data_and_refuses_to_clobber_other_data(tmp_path):
    args = dict(sequences=1, frames=25, size=(64, 48), workers=1)
    make_synthetic_lasot(tmp_path, ["zebra"], seed=0, **args)
    frame = tmp_path / "zebra" / "zebra-1" / "img" / "00000001.jpg"
    stamp = frame.stat().st_mtime_ns
    make_synthetic_lasot(tmp_path, ["zebra"], seed=0, **args)  # same output: nothing rewritten
    assert frame.stat().st_mtime_ns == stamp
    with pytest.raises(DatasetError, match="zebra-1 already holds other data"):
        make_synthetic_lasot(tmp_path, ["zebra"], seed=1, **args)
    make_synthetic_lasot(tmp_path, ["zebra"], seed=1, overwrite=True, **args)
    expected = tmp_path / "fresh"
    make_synthetic_lasot(expected, ["zebra"], seed=1, **args)
    assert tree_bytes(tmp_path / "zebra") == tree_bytes(expected / "zebra")


def test_bad_arguments_are_errors(tmp_path):
    with pytest.raises(DatasetError, match="did you mean 'mouse'"):
        make_synthetic_lasot(tmp_path, ["mose"])
    with pytest.raises(DatasetError, match="1 to 20"):
        make_synthetic_lasot(tmp_path, ["mouse"], sequences=21)


def test_script(tmp_path, capsys):
    out = tmp_path / "lasot"
    assert script.main(["--out", str(out), "--classes", "hat", "--sequences", "2", "--frames", "3",
                        "--size", "64x48", "--workers", "1"]) == 0
    assert (out / "hat" / "hat-2" / "img" / "00000003.jpg").is_file()
    assert script.main(["--out", str(out), "--classes", "hatt"]) == 2
    assert "did you mean 'hat'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        script.main(["--out", str(out), "--classes", "hat", "--size", "64by48"])
    assert exit_info.value.code == 2


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for name, data in tree_bytes(root).items():
        digest.update(name.encode() + b"\0" + data)
    return digest.hexdigest()


def test_default_output_is_unchanged(tmp_path):
    """The default frames and annotations are pinned: tests and demos elsewhere rely on them staying put."""
    args = dict(sequences=2, frames=4, size=(64, 48), seed=3, workers=1)
    make_synthetic_lasot(tmp_path / "default", ["zebra"], **args)
    make_synthetic_lasot(tmp_path / "explicit", ["zebra"], realistic=False, **args)
    assert tree_bytes(tmp_path / "default") == tree_bytes(tmp_path / "explicit")
    seq = tmp_path / "default" / "zebra" / "zebra-1"
    assert (seq / "groundtruth.txt").read_text() == "50,11,8,11\n51,11,8,12\n50,10,8,12\n50,10,8,12\n"
    assert (seq / "nlp.txt").read_text() == "rings zebra moving over a textured background\n"
    # JPEG bytes too (pinned with the repo's OpenCV; a new libjpeg may need a new pin if the annotations hold)
    assert tree_digest(tmp_path / "default") == "3cb3d4397e42f2a33f0a982d4a9b09928c0c3d6072c34030255d23a571384e5e"


def test_realistic_is_byte_identical_whatever_the_workers(tmp_path):
    args = dict(sequences=2, frames=3, size=(320, 240), seed=7, realistic=True)
    make_synthetic_lasot(tmp_path / "one", ["zebra"], workers=1, **args)
    make_synthetic_lasot(tmp_path / "two", ["zebra"], workers=2, **args)
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    make_synthetic_lasot(tmp_path / "plain", ["zebra"], workers=1, **{**args, "realistic": False})
    one, plain = tmp_path / "one" / "zebra" / "zebra-1", tmp_path / "plain" / "zebra" / "zebra-1"
    assert (one / "img" / "00000001.jpg").read_bytes() != (plain / "img" / "00000001.jpg").read_bytes()
    assert "cluttered scene" in (one / "nlp.txt").read_text()


def test_realistic_720p_frames_cost_like_lasot_frames(tmp_path):
    """Real LaSOT 1280x720 frames are ~60-150 KB; flat synthetic frames would make decoding look too cheap."""
    make_synthetic_lasot(tmp_path, ["zebra"], sequences=2, frames=4, size=(1280, 720), seed=0, workers=2,
                         realistic=True)
    frames = sorted(tmp_path.rglob("*.jpg"))
    assert len(frames) == 8
    for path in frames[::3]:
        assert cv2.imread(str(path)).shape == (720, 1280, 3)
    mean_kb = np.mean([path.stat().st_size for path in frames]) / 1000
    assert 60 < mean_kb < 200, mean_kb


def test_realistic_box_sizes_follow_lasot(tmp_path):
    """sqrt(w*h) / H: median ~0.176 with a wide spread (small and large objects), boxes inside the frame."""
    width, height = 1280, 720
    boxes = np.concatenate([trajectory(_generator(seed), 30, width, height, realistic=True)
                            for seed in range(1500)])
    size = np.sqrt(boxes[:, 2] * boxes[:, 3]) / height
    assert abs(np.median(size) - 0.176) < 0.02, np.median(size)
    assert 0.05 < (size < 0.06).mean() < 0.2 and 0.1 < (size > 0.4).mean() < 0.3
    assert 0.02 < size.min() and size.max() < 1.2  # the clip [0.03, 0.8], times the slow scale change
    x, y, w, h = boxes.T
    assert (x >= 0).all() and (y >= 0).all() and (x + w <= width).all() and (y + h <= height).all()
    default = np.concatenate([trajectory(_generator(seed), 30, width, height) for seed in range(200)])
    default_size = np.sqrt(default[:, 2] * default[:, 3]) / height
    assert default_size.min() > 0.1 and default_size.max() < 0.36  # the default spread stays narrow


def test_switching_realistic_is_other_data(tmp_path):
    args = dict(sequences=1, frames=3, size=(64, 48), seed=0, workers=1)
    make_synthetic_lasot(tmp_path, ["zebra"], **args)
    with pytest.raises(DatasetError, match="zebra-1 already holds other data"):
        make_synthetic_lasot(tmp_path, ["zebra"], realistic=True, **args)
    make_synthetic_lasot(tmp_path, ["zebra"], realistic=True, overwrite=True, **args)
    frame = tmp_path / "zebra" / "zebra-1" / "img" / "00000001.jpg"
    stamp = frame.stat().st_mtime_ns
    make_synthetic_lasot(tmp_path, ["zebra"], realistic=True, **args)  # up to date: nothing rewritten
    assert frame.stat().st_mtime_ns == stamp
    make_synthetic_lasot(tmp_path / "fresh", ["zebra"], realistic=True, **args)
    assert tree_bytes(tmp_path / "zebra") == tree_bytes(tmp_path / "fresh" / "zebra")


def test_script_realistic_flag(tmp_path):
    out = tmp_path / "lasot"
    assert script.main(["--out", str(out), "--classes", "hat", "--sequences", "1", "--frames", "2",
                        "--size", "64x48", "--workers", "1", "--realistic"]) == 0
    assert "cluttered scene" in (out / "hat" / "hat-1" / "nlp.txt").read_text()
    assert not script.build_parser().parse_args(["--out", "x", "--classes", "hat"]).realistic
