"""COCO 2017, ImageNet VID and FOLDER (your own videos) training readers and their synthetic generators:
parsing rules, visibility, frames, the annotation cache, and errors that name the file and what is wrong."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import lib.data.folder.train_set as folder_module
from lib.data.coco.train_set import MSCOCOSeq
from lib.data.errors import DatasetError
from lib.data.folder.train_set import FolderDataset
from lib.data.frames import FrameError
from lib.data.synthetic.coco import make_synthetic_coco
from lib.data.synthetic.folder import make_synthetic_folder
from lib.data.synthetic.vid import make_synthetic_vid
from lib.data.vid.train_set import ImagenetVID
from lib.train.data.sampler import TrackingSampler

SIZE = (64, 48)  # width, height of hand-written frames


def tree_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def from_cache(caplog) -> bool:
    return any("from the cache" in record.getMessage() for record in caplog.records)


# ---------------------------------------------------------------------------------------------------- COCO
def write_coco(root: Path, annotations: list, images=None, categories=None, image_files: bool = True) -> Path:
    """An instances_train2017.json with the given annotations (and images 1, 2 as 64x48 JPEGs)."""
    images = images or [{"id": 1, "file_name": "000000000001.jpg"}, {"id": 2, "file_name": "000000000002.jpg"}]
    categories = categories or [{"id": 1, "name": "person", "supercategory": "person"},
                                {"id": 3, "name": "car", "supercategory": "vehicle"}]
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "images" / "train2017").mkdir(parents=True, exist_ok=True)
    path = root / "annotations" / "instances_train2017.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    for number, image in enumerate(images if image_files else []):
        frame = np.full((SIZE[1], SIZE[0], 3), 40 * number + 20, np.uint8)
        cv2.imwrite(str(root / "images" / "train2017" / image["file_name"]), frame)
    return path


def ann(ann_id: int, image_id: int, bbox, category_id: int = 1, iscrowd: int = 0) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "bbox": bbox, "iscrowd": iscrowd,
            "area": bbox[2] * bbox[3], "segmentation": [[0, 0, 1, 0, 1, 1]]}


HAND_ANNOTATIONS = [ann(9, 2, [1, 2, 51, 51], 3), ann(4, 1, [0, 0, 50, 60]), ann(7, 1, [3, 4, 60, 50.5], iscrowd=1),
                    ann(5, 1, [5, 6, 60, 50], 3), ann(2, 2, [0.5, 1.5, 55.25, 52])]


def test_coco_sequences_are_the_non_crowd_annotations_in_file_order(tmp_path):
    write_coco(tmp_path, HAND_ANNOTATIONS)
    dataset = MSCOCOSeq(tmp_path, use_cache=False)
    assert dataset.name == "COCO17" and dataset.is_video is False
    assert dataset.sequence_list == ["000000000002.jpg/9", "000000000001.jpg/4", "000000000001.jpg/5",
                                     "000000000002.jpg/2"]
    assert [dataset.num_frames(i) for i in range(4)] == [1, 1, 1, 1]
    boxes = np.concatenate([dataset.get_sequence_info(i)["bbox"].numpy() for i in range(4)])
    np.testing.assert_array_equal(boxes, np.float32([[1, 2, 51, 51], [0, 0, 50, 60], [5, 6, 60, 50],
                                                     [0.5, 1.5, 55.25, 52]]))
    # valid = both sides over 50 px; visible = valid
    valid = [bool(dataset.get_sequence_info(i)["valid"][0]) for i in range(4)]
    assert valid == [True, False, False, True]
    assert [bool(dataset.get_sequence_info(i)["visible"][0]) for i in range(4)] == valid
    assert [dataset.sequence_class(i) for i in range(4)] == ["car", "person", "car", "person"]
    assert dataset.sequence_meta(0) == {"object_class_name": "car", "motion_class": None, "major_class": "vehicle",
                                        "root_class": None, "motion_adverb": None}


def test_coco_every_frame_id_gives_the_one_image_and_its_box(tmp_path):
    write_coco(tmp_path, HAND_ANNOTATIONS)
    dataset = MSCOCOSeq(tmp_path, use_cache=False)
    frames, anno, meta = dataset.get_frames(1, [0, 5, 17])
    expected = rgb(tmp_path / "images" / "train2017" / "000000000001.jpg")
    assert len(frames) == 3 and all(np.array_equal(frame, expected) for frame in frames)
    assert [box.tolist() for box in anno["bbox"]] == [[0, 0, 50, 60]] * 3
    assert meta["sequence_name"] == "000000000001.jpg/4" and meta["object_class_name"] == "person"
    refs, ref_anno, _ = dataset.get_frame_refs(0, [3, 3])
    assert refs[0] is refs[1] and (refs[0].width, refs[0].height) == SIZE
    assert np.array_equal(refs[0].decode()[0], rgb(tmp_path / "images" / "train2017" / "000000000002.jpg"))
    assert ref_anno["bbox"][1].tolist() == [1, 2, 51, 51]


def test_synthetic_coco_is_real_format_with_crowds_small_boxes_and_several_objects(tmp_path):
    root = make_synthetic_coco(tmp_path / "coco", images=6, seed=3)
    document = json.loads((root / "annotations" / "instances_train2017.json").read_text())
    crowds = [a for a in document["annotations"] if a["iscrowd"]]
    assert crowds and all(set(a["segmentation"]) == {"counts", "size"} for a in crowds)
    assert all(isinstance(a["segmentation"], list) and a["area"] > 0 for a in document["annotations"]
               if not a["iscrowd"])
    assert {c["supercategory"] for c in document["categories"]} >= {"vehicle", "animal"}
    per_image = [sum(a["image_id"] == image["id"] for a in document["annotations"]) for image in document["images"]]
    assert min(per_image) >= 2
    dataset = MSCOCOSeq(root, use_cache=False)
    assert dataset.get_num_sequences() == len(document["annotations"]) - len(crowds)
    assert not {str(a["id"]) for a in crowds} & {name.split("/")[1] for name in dataset.sequence_list}
    valid = dataset.table.valid
    assert valid.any() and not valid.all()  # large and small (under 50 px) objects
    seq_id = int(np.flatnonzero(valid)[0])
    frame = dataset.get_frames(seq_id, [0])[0][0]
    assert frame.shape == (72, 96, 3) and np.array_equal(frame, rgb(dataset.frame_path(seq_id, 0)))


def test_coco_is_read_from_the_cache_until_the_json_changes(tmp_path, caplog):
    path = write_coco(tmp_path, HAND_ANNOTATIONS)
    first = MSCOCOSeq(tmp_path)
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        second = MSCOCOSeq(tmp_path)
    assert from_cache(caplog) and second.sequence_list == first.sequence_list
    assert second.sequence_meta(0) == first.sequence_meta(0)
    np.testing.assert_array_equal(second.table.boxes, first.table.boxes)
    write_coco(tmp_path, HAND_ANNOTATIONS[:2])
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        third = MSCOCOSeq(tmp_path)
    assert not from_cache(caplog) and third.get_num_sequences() == 2


def test_coco_layout_errors_say_what_to_do(tmp_path):
    with pytest.raises(DatasetError, match=r"instances_train2017\.json is missing; unpack annotations_trainval2017"):
        (tmp_path / "annotations").mkdir()
        MSCOCOSeq(tmp_path)
    write_coco(tmp_path, HAND_ANNOTATIONS, image_files=False)
    (tmp_path / "images" / "train2017").rmdir()
    (tmp_path / "train2017").mkdir()
    with pytest.raises(DatasetError, match=r"images/train2017 is missing; the images are in .*train2017: move it"):
        MSCOCOSeq(tmp_path)
    (tmp_path / "train2017").rmdir()
    with pytest.raises(DatasetError, match=r"unpack train2017\.zip"):
        MSCOCOSeq(tmp_path)


def test_coco_files_that_are_not_coco_are_named(tmp_path):
    path = write_coco(tmp_path, HAND_ANNOTATIONS)
    path.write_text(json.dumps({"images": [], "categories": []}))
    with pytest.raises(DatasetError, match=r"instances_train2017\.json is not a COCO instances file: no list "
                                           r"\['annotations'\]"):
        MSCOCOSeq(tmp_path, use_cache=False)
    path.write_text('{"images": [\n{"id": 1,\n')
    with pytest.raises(DatasetError, match=r"instances_train2017\.json, line 3: not valid JSON"):
        MSCOCOSeq(tmp_path, use_cache=False)
    broken = [*HAND_ANNOTATIONS[:3], {k: v for k, v in HAND_ANNOTATIONS[3].items() if k != "bbox"}]
    write_coco(tmp_path, broken)
    with pytest.raises(DatasetError, match=r"annotations\[3\] lacks \['bbox'\]"):
        MSCOCOSeq(tmp_path, use_cache=False)
    write_coco(tmp_path, [{**ann(1, 1, [1, 2, 3, 4]), "bbox": [1, 2, 3]}, ann(2, 1, [1, 2, 3, 4, 5])])
    with pytest.raises(DatasetError, match=r"annotations\[0\] \(id 1\) has bbox \[1, 2, 3\], expected \[x, y, w, h\]"):
        MSCOCOSeq(tmp_path, use_cache=False)
    write_coco(tmp_path, [ann(1, 1, [1, 2, 3, 4]), ann(2, 8, [1, 2, 3, 4])])
    with pytest.raises(DatasetError, match=r"annotations\[1\] \(id 2\) names image 8 and category 1, not both listed"):
        MSCOCOSeq(tmp_path, use_cache=False)


def test_coco_missing_image_is_a_frame_error_naming_the_file(tmp_path):
    write_coco(tmp_path, HAND_ANNOTATIONS)
    dataset = MSCOCOSeq(tmp_path, use_cache=False)
    (tmp_path / "images" / "train2017" / "000000000002.jpg").unlink()
    for read in (dataset.get_frames, dataset.get_frame_refs):
        with pytest.raises(FrameError, match=r"images/train2017/000000000002\.jpg: file not found"):
            read(0, [0])


# ---------------------------------------------------------------------------------------------------- VID
def write_vid_video(root: Path, set_name: str, video_name: str, frames: list, size=SIZE, images: bool = True) -> Path:
    """One VID video: ``frames`` is per frame a list of (trackid, name, (xmin, ymin, xmax, ymax), occluded)."""
    annotations = root / "Annotations" / "VID" / "train" / set_name / video_name
    data = root / "Data" / "VID" / "train" / set_name / video_name
    annotations.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    for index, objects in enumerate(frames):
        body = "".join(f"<object><trackid>{t}</trackid><name>{n}</name><bndbox><xmax>{b[2]}</xmax>"
                       f"<xmin>{b[0]}</xmin><ymax>{b[3]}</ymax><ymin>{b[1]}</ymin></bndbox>"
                       f"<occluded>{o}</occluded><generated>0</generated></object>" for t, n, b, o in objects)
        (annotations / f"{index:06d}.xml").write_text(f"<annotation><folder>{video_name}</folder><size><width>"
                                                      f"{size[0]}</width><height>{size[1]}</height></size>{body}"
                                                      f"</annotation>")
        if images:
            cv2.imwrite(str(data / f"{index:06d}.JPEG"), np.full((size[1], size[0], 3), 10 * index, np.uint8))
    return annotations


CAT, DOG = "n02121808", "n02084071"
# track 0: frames 0-2, gone at 3, back at 4 (not part of it); track 1: from frame 1, occluded at 2, zero width
# at 3; track 2: a box as large as the image (dropped by the size rule)
HAND_VIDEO = [
    [(0, CAT, (1, 2, 11, 22), 0), (2, DOG, (0, 0, 64, 48), 0)],
    [(0, CAT, (2, 3, 12, 23), 0), (1, DOG, (5, 5, 25, 15), 0)],
    [(1, DOG, (6, 5, 26, 15), 1), (0, CAT, (3, 4, 13, 24), 1)],
    [(1, DOG, (7, 5, 7, 15), 0)],
    [(0, CAT, (4, 5, 14, 25), 0), (1, DOG, (8, 5, 28, 15), 0)],
]


def test_vid_tracks_run_from_first_appearance_to_the_first_frame_without_them(tmp_path):
    write_vid_video(tmp_path, "ILSVRC2015_VID_train_0002", "ILSVRC2015_train_00002001", HAND_VIDEO)
    write_vid_video(tmp_path, "ILSVRC2015_VID_train_0000", "ILSVRC2015_train_00000007", [[(3, CAT, (0, 0, 9, 9), 0)]])
    dataset = ImagenetVID(tmp_path, use_cache=False)
    assert dataset.name == "VID" and dataset.is_video
    assert dataset.sequence_list == ["ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000007/3",  # sets sorted
                                     "ILSVRC2015_VID_train_0002/ILSVRC2015_train_00002001/0",
                                     "ILSVRC2015_VID_train_0002/ILSVRC2015_train_00002001/1"]
    track0, track1 = dataset.get_sequence_info(1), dataset.get_sequence_info(2)
    assert track0["bbox"].tolist() == [[1, 2, 10, 20], [2, 3, 10, 20], [3, 4, 10, 20]]
    assert track0["visible"].tolist() == [True, True, False]
    assert track1["bbox"].tolist() == [[5, 5, 20, 10], [6, 5, 20, 10], [7, 5, 0, 10], [8, 5, 20, 10]]
    assert track1["valid"].tolist() == [True, True, False, True]
    assert track1["visible"].tolist() == [True, False, False, True]
    assert dataset.sequence_class(1) == CAT and dataset.sequence_class(2) == DOG
    assert dataset.sequence_meta(2)["object_class"] == DOG and dataset.sequence_meta(2)["object_class_name"] == DOG
    # frame k of a track starting at XML position s is Data/.../{s + k:06d}.JPEG, set and video by their numbers
    assert dataset.frame_path(2, 0) == (tmp_path / "Data/VID/train/ILSVRC2015_VID_train_0002/"
                                        "ILSVRC2015_train_00002001/000001.JPEG")
    frames, anno, meta = dataset.get_frames(2, [3, 0])
    video_dir = tmp_path / "Data/VID/train/ILSVRC2015_VID_train_0002/ILSVRC2015_train_00002001"
    assert np.array_equal(frames[0], rgb(video_dir / "000004.JPEG"))
    assert np.array_equal(frames[1], rgb(video_dir / "000001.JPEG"))
    assert anno["bbox"][0].tolist() == [8, 5, 20, 10] and meta["sequence_name"].endswith("00002001/1")


def test_synthetic_vid_reads_back_with_late_tracks_and_the_big_box_dropped(tmp_path):
    root = make_synthetic_vid(tmp_path / "vid", videos=4, frames=25, seed=1)
    dataset = ImagenetVID(root, use_cache=False)
    assert dataset.get_num_sequences() == 4  # one track per video: the full-frame track 1 of video 0 is dropped
    assert [name.rsplit("/", 1)[1] for name in dataset.sequence_list] == ["0"] * 4
    assert dataset.frame_path(1, 0).name == "000005.JPEG"  # video 1's object enters at frame 25 // 5
    for seq_id in range(4):
        info = dataset.get_sequence_info(seq_id)
        assert info["valid"].all() and info["visible"].any()
        last = dataset.num_frames(seq_id) - 1
        frame = dataset.get_frames(seq_id, [last])[0][0]
        assert np.array_equal(frame, rgb(dataset.frame_path(seq_id, last)))


def test_vid_is_read_from_the_cache_until_an_xml_changes(tmp_path, caplog):
    annotations = write_vid_video(tmp_path, "ILSVRC2015_VID_train_0000", "ILSVRC2015_train_00000000", HAND_VIDEO)
    first = ImagenetVID(tmp_path)
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        second = ImagenetVID(tmp_path)
    assert from_cache(caplog) and second.sequence_list == first.sequence_list
    assert second.frame_path(1, 2) == first.frame_path(1, 2)
    xml = annotations / "000003.xml"
    xml.write_text(xml.read_text().replace("<xmax>7</xmax>", "<xmax>17</xmax>"))  # track 1's box at frame 3
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        third = ImagenetVID(tmp_path)
    assert not from_cache(caplog) and third.get_sequence_info(1)["bbox"][2].tolist() == [7, 5, 10, 10]


def test_vid_errors_name_the_file(tmp_path):
    with pytest.raises(DatasetError, match=r"Annotations/VID/train is missing"):
        ImagenetVID(tmp_path, use_cache=False)
    annotations = write_vid_video(tmp_path, "ILSVRC2015_VID_train_0000", "ILSVRC2015_train_00000000", HAND_VIDEO)
    (annotations / "000001.xml").write_text("<annotation><size><width>64</width>")
    with pytest.raises(DatasetError, match=r"000001\.xml: not valid XML"):
        ImagenetVID(tmp_path, use_cache=False)
    text = (annotations / "000000.xml").read_text()
    (annotations / "000001.xml").write_text(text.replace("<occluded>0</occluded>", "", 1))
    with pytest.raises(DatasetError, match=r"000001\.xml: <occluded> is missing"):
        ImagenetVID(tmp_path, use_cache=False)
    (annotations / "000001.xml").write_text(text.replace("<xmin>1</xmin>", "<xmin>one</xmin>"))
    with pytest.raises(DatasetError, match=r"000001\.xml: <bndbox/xmin> is 'one', not a number"):
        ImagenetVID(tmp_path, use_cache=False)
    (annotations / "000001.xml").write_text(text)
    (annotations.parent.parent / "extras").mkdir()
    with pytest.raises(DatasetError, match=r"folder .*/extras does not end in _<number>"):
        ImagenetVID(tmp_path, use_cache=False)


def test_vid_missing_frames_are_named_when_the_track_is_read(tmp_path):
    write_vid_video(tmp_path, "ILSVRC2015_VID_train_0000", "ILSVRC2015_train_00000000", HAND_VIDEO)
    (tmp_path / "Data/VID/train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/000002.JPEG").unlink()
    dataset = ImagenetVID(tmp_path, use_cache=False)
    with pytest.raises(DatasetError, match=r"sequence '.*00000000/1' is incomplete: 1 of its 4 frames are missing "
                                           r"from .*ILSVRC2015_train_00000000 \(first: 000002\.JPEG\)"):
        dataset.get_frames(1, [0])


# ---------------------------------------------------------------------------------------------------- FOLDER
def write_folder_sequence(root: Path, name: str, boxes: list, frame_names=None, subfolder: bool = True,
                          absent=None, cls=None, separator: str = ",") -> Path:
    """A FOLDER sequence: frame i is a 64x48 image of grey level 5 * i (named ``frame_names[i]``)."""
    seq_dir = root / name
    frames = seq_dir / "img" if subfolder else seq_dir
    frames.mkdir(parents=True, exist_ok=True)
    frame_names = frame_names or [f"{i + 1}.jpg" for i in range(len(boxes))]
    for index, frame_name in enumerate(frame_names):
        cv2.imwrite(str(frames / frame_name), np.full((SIZE[1], SIZE[0], 3), 5 * index, np.uint8))
    (seq_dir / "groundtruth.txt").write_text("".join(separator.join(map(str, b)) + "\n" for b in boxes))
    if absent is not None:
        (seq_dir / "absent.txt").write_text("".join(f"{a}\n" for a in absent))
    if cls is not None:
        (seq_dir / "class.txt").write_text(f"{cls}\n")
    return seq_dir


def boxes_of(count: int) -> list:
    return [(i, 2, 10 + i, 8) for i in range(count)]


def frame_level(frame: np.ndarray) -> int:
    return int(round(frame.mean() / 5))


def test_folder_frames_follow_integer_names_with_or_without_img(tmp_path):
    numbered = [f"{i}.jpg" for i in (1, 2, 10, 3, 4, 5, 6, 7, 8, 9, 11, 12)]  # written in frame order 0..11
    numbered_sorted = sorted(numbered, key=lambda n: int(n[:-4]))
    write_folder_sequence(tmp_path, "b_numbers", boxes_of(12), frame_names=numbered_sorted)
    named = [f"frame_{i:03d}.png" for i in range(12)]
    write_folder_sequence(tmp_path, "a_names", boxes_of(12), frame_names=named, subfolder=False, separator=" ")
    dataset = FolderDataset(tmp_path, use_cache=False)
    assert dataset.name == "FOLDER" and dataset.sequence_list == ["a_names", "b_numbers"]
    assert [dataset.frame_path(1, i).name for i in range(3)] == ["1.jpg", "2.jpg", "3.jpg"]
    assert dataset.frame_path(1, 9).name == "10.jpg" and dataset.frame_path(0, 11) == tmp_path / "a_names" / named[11]
    frames, anno, meta = dataset.get_frames(1, [9, 0, 9])
    assert [frame_level(f) for f in frames] == [9, 0, 9]
    assert [box.tolist() for box in anno["bbox"]] == [[9, 2, 19, 8], [0, 2, 10, 8], [9, 2, 19, 8]]
    assert meta["sequence_name"] == "b_numbers" and meta["object_class_name"] is None
    assert [frame_level(f) for f in dataset.get_frames(0, [11, 4])[0]] == [11, 4]


def test_folder_visibility_from_box_size_and_absent_flags(tmp_path):
    boxes = [(1, 1, 5, 5), (1, 1, 5, 5), (0, 0, 0, 0), (1, 1, 5, 0), (1, 1, 5, 5)]
    write_folder_sequence(tmp_path, "clip", boxes, absent=[0, 1, 0, 0, 1], cls="red ball")
    dataset = FolderDataset(tmp_path, use_cache=False)
    info = dataset.get_sequence_info(0)
    assert info["valid"].tolist() == [True, True, False, False, True]
    assert info["visible"].tolist() == [True, False, False, False, False]
    assert dataset.sequence_class(0) == "red ball" and dataset.sequence_meta(0)["object_class_name"] == "red ball"


def test_synthetic_folder_reads_back_with_its_flags(tmp_path):
    root = make_synthetic_folder(tmp_path / "with_flags", sequences=4, frames=25, seed=2)
    dataset = FolderDataset(root, use_cache=False)
    assert dataset.sequence_list == ["video_01", "video_02", "video_03", "video_04"]
    assert [dataset.frame_path(i, 9).relative_to(root).as_posix() for i in range(4)] == [
        "video_01/img/10.jpg", "video_02/00010.jpg", "video_03/img/frame_0009.jpg", "video_04/img/9.png"]
    assert all(dataset.num_frames(i) == 25 for i in range(4)) and dataset.table.valid.all()
    absent = np.concatenate([np.loadtxt(root / name / "absent.txt", dtype=int) for name in dataset.sequence_list])
    assert absent.any()
    np.testing.assert_array_equal(dataset.table.visible, absent == 0)
    frame = dataset.get_frames(3, [0])[0][0]
    assert frame.shape == (72, 96, 3) and np.array_equal(frame, rgb(root / "video_04" / "img" / "0.png"))
    # without absent.txt the hidden frames' boxes are 0,0,0,0: not valid, not visible, same frames otherwise
    plain = FolderDataset(make_synthetic_folder(tmp_path / "no_flags", 4, 25, seed=2, absent_flags=False),
                          use_cache=False)
    np.testing.assert_array_equal(plain.table.valid, absent == 0)
    np.testing.assert_array_equal(plain.table.visible, absent == 0)


def test_folder_skips_folders_without_groundtruth_and_needs_one(tmp_path, caplog):
    (tmp_path / "notes").mkdir()
    (tmp_path / "raw_frames").mkdir()
    with pytest.raises(DatasetError, match=r"holds no video: expected one folder per video, <sequence>/"
                                           r"groundtruth\.txt"):
        FolderDataset(tmp_path, use_cache=False)
    write_folder_sequence(tmp_path, "clip", boxes_of(3))
    with pytest.raises(DatasetError, match=r"clip holds no video; .*clip is one video: point to its parent folder"):
        FolderDataset(tmp_path / "clip", use_cache=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lib.data.folder.train_set"):
        dataset = FolderDataset(tmp_path, use_cache=False)
    assert dataset.sequence_list == ["clip"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2 sub-folder(s) without groundtruth.txt: notes, raw_frames" in warnings[0]


@pytest.mark.parametrize("absent, message", [
    ([0, 1], r"absent\.txt: 2 labels but 3 boxes in .*clip/groundtruth\.txt"),
    ([0, 1, 0, 0], r"absent\.txt: 4 labels but 3 boxes in"),
    ([0, 2, 0], r"absent\.txt, line 2: expected 0 \(visible\) or 1 \(absent\), got 2"),
    (["0", "yes", "1"], r"absent\.txt, line 2: expected one integer per line, got 'yes'"),
])
def test_folder_bad_absent_file_is_named(tmp_path, absent, message):
    write_folder_sequence(tmp_path, "clip", boxes_of(3), absent=absent)
    with pytest.raises(DatasetError, match=message):
        FolderDataset(tmp_path, use_cache=False)


def test_folder_bad_groundtruth_line_and_frame_count_are_named(tmp_path):
    seq_dir = write_folder_sequence(tmp_path, "clip", boxes_of(3))
    (seq_dir / "groundtruth.txt").write_text("1,2,3,4\n1;2;3;4\n1,2,3,4\n")
    with pytest.raises(DatasetError, match=r"clip/groundtruth\.txt, line 2: expected 'x,y,w,h' .* got '1;2;3;4'"):
        FolderDataset(tmp_path, use_cache=False)
    (seq_dir / "groundtruth.txt").write_text("1,2,3,4\n" * 4)
    with pytest.raises(DatasetError, match=r"FOLDER sequence 'clip': 3 frames \(.jpg, .jpeg, .png files\) in "
                                           r".*clip/img but 4 boxes in .*clip/groundtruth\.txt"):
        FolderDataset(tmp_path, use_cache=False)


def test_folder_frame_missing_at_read_time_is_a_frame_error(tmp_path):
    seq_dir = write_folder_sequence(tmp_path, "clip", boxes_of(3))
    dataset = FolderDataset(tmp_path, use_cache=False)
    (seq_dir / "img" / "2.jpg").unlink()
    with pytest.raises(FrameError, match=r"clip/img/2\.jpg: file not found"):
        dataset.get_frames(0, [1])


def test_folder_is_read_from_the_cache_until_an_annotation_file_changes(tmp_path, caplog):
    seq_dir = write_folder_sequence(tmp_path, "clip", boxes_of(4), cls="cup")
    FolderDataset(tmp_path)
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        second = FolderDataset(tmp_path)
    assert from_cache(caplog) and second.sequence_class(0) == "cup" and second.table.visible.all()
    (seq_dir / "absent.txt").write_text("0\n0\n1\n0\n")  # a new file: its absence was part of the key
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lib.data.annotation_cache"):
        third = FolderDataset(tmp_path)
    assert not from_cache(caplog) and third.table.visible.tolist() == [True, True, False, True]


def readme_example() -> str:
    """The indented code block after '::' in lib/data/folder/train_set.py's docstring."""
    lines = folder_module.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 2
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block)


def test_readme_example_prepares_a_dataset_folder_reads(tmp_path, monkeypatch):
    code = readme_example()
    assert len(code.splitlines()) == 5
    monkeypatch.chdir(tmp_path)
    writer = cv2.VideoWriter("my_video.mp4", cv2.VideoWriter_fourcc(*"mp4v"), 25, SIZE)
    assert writer.isOpened(), "OpenCV cannot write mp4 here"
    for index in range(25):
        writer.write(np.full((SIZE[1], SIZE[0], 3), 8 * index, np.uint8))
    writer.release()
    boxes = [(2 * i, 3, 20, 12) for i in range(25)]  # what the user annotated
    exec(compile(code, "folder_example", "exec"), {"boxes": boxes})
    dataset = FolderDataset(Path("data/folder"), use_cache=False)
    assert dataset.sequence_list == ["my_video"] and dataset.num_frames(0) == 25
    assert dataset.get_sequence_info(0)["bbox"].tolist() == [list(b) for b in boxes]
    frames = dataset.get_frames(0, [24, 0])[0]
    assert abs(frames[0].mean() - 8 * 24) < 6 and frames[1].mean() < 6


# ---------------------------------------------------------------------------------------------------- generators
@pytest.mark.parametrize("make", [make_synthetic_coco, make_synthetic_folder, make_synthetic_vid])
def test_generators_are_deterministic_and_keep_other_data(tmp_path, make):
    first, second = make(tmp_path / "a", seed=5), make(tmp_path / "b", seed=5)
    assert tree_bytes(first) == tree_bytes(second) and len(tree_bytes(first)) > 10
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    make(first, seed=5)  # up to date: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == before
    assert tree_bytes(make(tmp_path / "c", seed=6)) != tree_bytes(first)
    with pytest.raises(DatasetError, match=re.escape(str(first)) + r" already holds other data .* overwrite=True"):
        make(first, seed=6)
    make(first, seed=6, overwrite=True)
    assert tree_bytes(first) == tree_bytes(tmp_path / "c")


def test_datasets_feed_the_sampler(tmp_path):
    coco = MSCOCOSeq(make_synthetic_coco(tmp_path / "coco", images=4), use_cache=False)
    folder = FolderDataset(make_synthetic_folder(tmp_path / "folder", sequences=2, frames=25), use_cache=False)
    vid = ImagenetVID(make_synthetic_vid(tmp_path / "vid", videos=3, frames=25), use_cache=False)
    sampler = TrackingSampler([coco, folder, vid], [1, 1, 1], samples_per_epoch=12, max_gap=10,
                              num_search_frames=1, num_template_frames=2, processing=lambda sample, rng: sample)
    samples = [sampler[i] for i in range(12)]
    assert {s["dataset"] for s in samples} == {"COCO17", "FOLDER", "VID"}
    for sample in samples:
        if sample["dataset"] == "COCO17":
            assert sample["frame_ids"] == [0, 0, 0]
            assert sample["template_anno"][0].tolist() == sample["search_anno"][0].tolist()
