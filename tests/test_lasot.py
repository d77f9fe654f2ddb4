"""LaSOT parsing: split-based sequence lists, visibility from flags, and errors that name what is wrong."""

from __future__ import annotations

import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from lib.data.errors import DatasetError
from lib.data.image_loader import make_image_loader, opencv_loader
from lib.data.lasot.annotations import read_groundtruth
from lib.data.lasot.splits import lasot_classes, sequences_of, split_sequences
from lib.data.lasot.train_set import Lasot

FIXTURE = Path(__file__).parent / "fixtures" / "lasot_annos" / "lasot_annos.tar.xz"


def write_sequence(root: Path, name: str, boxes, occlusion=None, out_of_view=None, images: int = 0,
                   color=(0, 0, 255)) -> Path:
    """A LaSOT-layout sequence with the given annotations and ``images`` 32x24 frames of one BGR colour."""
    seq_dir = root / name.rsplit("-", 1)[0] / name
    (seq_dir / "img").mkdir(parents=True, exist_ok=True)
    n = len(boxes)
    occlusion = [0] * n if occlusion is None else occlusion
    out_of_view = [0] * n if out_of_view is None else out_of_view
    (seq_dir / "groundtruth.txt").write_text("".join(",".join(str(v) for v in b) + "\n" for b in boxes))
    (seq_dir / "full_occlusion.txt").write_text(",".join(map(str, occlusion)))
    (seq_dir / "out_of_view.txt").write_text(",".join(map(str, out_of_view)))
    (seq_dir / "nlp.txt").write_text("a test object")
    frame = np.zeros((24, 32, 3), np.uint8)
    frame[:] = color
    for i in range(images):
        cv2.imwrite(str(seq_dir / "img" / f"{i + 1:08d}.jpg"), frame)
    return seq_dir


def write_class(root: Path, cls: str, frames: int = 30, images: int = 0) -> None:
    """Every train sequence of ``cls`` with ``frames`` all-visible boxes."""
    for name in sequences_of("train", [cls]):
        write_sequence(root, name, [(2, 3, 10, 8)] * frames, images=images)


def test_class_list_comes_from_the_split_files():
    classes = lasot_classes()
    assert len(classes) == 70 and "rubicCube" in classes and "mouse" in classes
    assert len(split_sequences("train")) == 1120 and len(split_sequences("test")) == 280
    assert len(sequences_of("train", ["mouse"])) == 16 and len(sequences_of("test", ["mouse"])) == 4


def test_visibility_comes_from_flags_and_box_size(tmp_path):
    write_class(tmp_path, "mouse")
    boxes = [(1, 1, 5, 5), (1, 1, 5, 5), (1, 1, 0, 5), (1, 1, 5, 0), (1, 1, 5, 5), (1, 1, 5, 5)]
    write_sequence(tmp_path, "mouse-2", boxes, occlusion=[0, 1, 0, 0, 0, 1], out_of_view=[0, 0, 0, 0, 1, 1])
    dataset = Lasot(tmp_path, "train", ["mouse"])
    seq_id = dataset.sequence_list.index("mouse-2")
    info = dataset.get_sequence_info(seq_id)
    assert info["visible"].dtype == torch.bool and info["valid"].dtype == torch.bool
    assert info["visible"].tolist() == [True, False, False, False, False, False]
    assert info["valid"].tolist() == [True, True, False, False, True, True]
    assert info["bbox"].dtype == torch.float32 and info["bbox"].shape == (6, 4)


def test_real_annotations_hidden_frames_keep_their_boxes(tmp_path):
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    dataset = Lasot(tmp_path / "lasot_annos", "train", ["mouse"])  # no images needed to build it
    assert dataset.sequence_list == list(sequences_of("train", ["mouse"]))
    info = dataset.get_sequence_info(dataset.sequence_list.index("mouse-10"))
    # LaSOT facts: mouse-10 has 1,864 frames, 1,129 absent, none with a zero-size box.
    assert len(info["bbox"]) == 1864
    assert int(info["valid"].sum()) == 1864
    assert int(info["visible"].sum()) == 1864 - 1129


def test_malformed_groundtruth_line_names_file_and_line(tmp_path):
    write_class(tmp_path, "mouse")
    seq_dir = write_sequence(tmp_path, "mouse-3", [(1, 1, 5, 5)] * 4)
    path = seq_dir / "groundtruth.txt"
    path.write_text("1,1,5,5\n1,1,5,5\n1,1,five,5\n1,1,5,5\n")
    with pytest.raises(DatasetError, match=r"groundtruth\.txt, line 3: .*'1,1,five,5'"):
        Lasot(tmp_path, "train", ["mouse"])
    path.write_text("1,1,5,5\n1,1,5\n")
    with pytest.raises(DatasetError, match=r"line 2"):
        read_groundtruth(path)


def test_flag_count_must_match_boxes(tmp_path):
    write_class(tmp_path, "mouse")
    seq_dir = write_sequence(tmp_path, "mouse-3", [(1, 1, 5, 5)] * 4)
    (seq_dir / "out_of_view.txt").write_text("0,0,0")
    with pytest.raises(DatasetError, match=r"out_of_view\.txt: 3 flags but 4 boxes"):
        Lasot(tmp_path, "train", ["mouse"])


def test_unknown_class_suggests_the_closest(tmp_path):
    with pytest.raises(DatasetError) as err:
        Lasot(tmp_path, "train", ["mose"])
    message = str(err.value)
    assert "'mose'" in message and "did you mean 'mouse'?" in message
    assert "airplane" in message and "zebra" in message  # lists the valid names


def test_missing_root_says_how_to_set_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as err:
        Lasot(missing, "train", ["mouse"])
    message = str(err.value)
    assert str(missing) in message and "LASOT_DIR" in message
    assert "create_default_local_file.py" in message and "make_synthetic_lasot.py" in message


def test_missing_class_or_sequence_folder_is_named(tmp_path):
    with pytest.raises(DatasetError, match="electricfan"):
        write_class(tmp_path, "mouse")
        Lasot(tmp_path, "train", ["mouse", "electricfan"])
    missing = sequences_of("train", ["mouse"])[5]
    for path in (tmp_path / "mouse" / missing).iterdir():
        if path.is_file():
            path.unlink()
    (tmp_path / "mouse" / missing / "img").rmdir()
    (tmp_path / "mouse" / missing).rmdir()
    with pytest.raises(DatasetError, match=f"'{missing}'"):
        Lasot(tmp_path, "train", ["mouse"])


def test_fewer_frames_than_annotations_names_the_sequence(tmp_path):
    write_class(tmp_path, "mouse", frames=5, images=5)
    for missing in ("00000004.jpg", "00000005.jpg"):
        (tmp_path / "mouse" / "mouse-2" / "img" / missing).unlink()
    dataset = Lasot(tmp_path, "train", ["mouse"])
    with pytest.raises(DatasetError, match=r"'mouse-2' is incomplete: 2 of its 5 annotated frames are missing "
                                           r"from img/ \(first: 00000004\.jpg\)"):
        dataset.get_frames(dataset.sequence_list.index("mouse-2"), [0])


def test_get_frames_returns_rgb_frames_and_per_frame_annotations(tmp_path):
    write_class(tmp_path, "mouse", frames=5, images=5)
    write_sequence(tmp_path, "mouse-2", [(1, 1, 5, 5), (2, 2, 6, 6), (3, 3, 7, 7)], images=3, color=(0, 0, 255))
    dataset = Lasot(tmp_path, "train", ["mouse"])
    seq_id = dataset.sequence_list.index("mouse-2")
    frames, anno, meta = dataset.get_frames(seq_id, [2, 0, 2])
    assert len(frames) == 3 and frames[0].shape == (24, 32, 3) and frames[0].dtype == np.uint8
    red, green, blue = frames[1][12, 16].tolist()
    assert red > 240 and green < 15 and blue < 15  # BGR on disk -> RGB in memory
    assert [b.tolist() for b in anno["bbox"]] == [[3, 3, 7, 7], [1, 1, 5, 5], [3, 3, 7, 7]]
    assert meta == {"object_class_name": "mouse", "sequence_name": "mouse-2"}
    with pytest.raises(IndexError):
        dataset.get_frames(seq_id, [3])


def test_corrupt_frame_is_an_error_naming_the_file(tmp_path):
    write_class(tmp_path, "mouse", frames=5, images=5)
    seq_dir = write_sequence(tmp_path, "mouse-2", [(1, 1, 5, 5)] * 3, images=3)
    bad = seq_dir / "img" / "00000002.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg\xff\xd9")
    with pytest.raises(DatasetError, match=r"00000002\.jpg: cannot be decoded"):
        opencv_loader(str(bad))
    dataset = Lasot(tmp_path, "train", ["mouse"])
    with pytest.raises(DatasetError, match=str(bad)):
        dataset.get_frames(dataset.sequence_list.index("mouse-2"), [0, 1])
    with pytest.raises(DatasetError, match=r"00000009\.jpg: file not found"):
        opencv_loader(str(seq_dir / "img" / "00000009.jpg"))


def test_jpeg4py_loader_works_or_says_what_to_install(tmp_path):
    path = tmp_path / "frame.jpg"
    image = np.zeros((16, 16, 3), np.uint8)
    image[..., 2] = 255  # red in BGR
    cv2.imwrite(str(path), image)
    try:
        loader = make_image_loader("jpeg4py")
    except DatasetError as err:  # this machine lacks jpeg4py or libturbojpeg
        message = str(err)
        assert "pip install jpeg4py" in message and "libturbojpeg" in message
        assert "DATA.IMAGE_LOADER: opencv" in message
        return
    decoded = loader(str(path))
    assert decoded.shape == (16, 16, 3) and decoded[8, 8, 0] > 240  # RGB
