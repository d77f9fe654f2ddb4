"""GOT-10k and TrackingNet training readers on generated data: parsing, visibility, metadata, classes, splits and
chunks, errors that name the file and what to do, frames, the annotation cache; and their synthetic generators."""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from lib.data.errors import DatasetError
from lib.data.got10k import train_set as got10k_train_set
from lib.data.got10k.splits import SPLITS, dataset_name, split_indices
from lib.data.got10k.train_set import Got10k
from lib.data.synthetic.got10k import make_synthetic_got10k
from lib.data.synthetic.trackingnet import make_synthetic_trackingnet
from lib.data.trackingnet import train_set as trackingnet_train_set
from lib.data.trackingnet.classmap import class_map
from lib.data.trackingnet.train_set import TrackingNet
from lib.train.data.sampler import TrackingSampler

SIZE = (64, 48)
FRAMES = 25


# ---------------------------------------------------------------------------------------------- helpers
def make_got(root: Path, sequences: int = 4, **options) -> Path:
    return make_synthetic_got10k(root, sequences=sequences, frames=FRAMES, size=SIZE, **options)


def split_file(path: Path, indices) -> Path:
    path.write_text("".join(f"{i}\n" for i in indices))
    return path


def got(root: Path, indices=(0, 1, 2, 3), split="vottrain", **options) -> Got10k:
    return Got10k(root, split, split_file=split_file(root / "split.txt", indices), **options)


def write_got_sequence(train: Path, name: str, boxes, absence, cover, meta: str | None = None) -> Path:
    seq_dir = train / name
    seq_dir.mkdir(parents=True)
    (seq_dir / "groundtruth.txt").write_text("".join(",".join(f"{v:.4f}" for v in b) + "\n" for b in boxes))
    (seq_dir / "absence.label").write_text("".join(f"{v}\n" for v in absence))
    (seq_dir / "cover.label").write_text("".join(f"{v}\n" for v in cover))
    if meta is not None:
        (seq_dir / "meta_info.ini").write_bytes(meta.encode())
    with open(train / "list.txt", "a") as file:
        file.write(name + "\n")
    return seq_dir


META_LINES = ["[METAINFO]", "url: https://youtu.be/abc", "begin_time: 1", "end_time: 2", "anno_fps: 10Hz",
              "object_class: ailurus fulgens", "motion_class: walking", "major_class: carnivore",
              "root_class: animal", "motion_adverb: slowly", "resolution: (1920, 1080)"]


def make_tn(root: Path, sets=(0, 2), sequences: int = 3, **options) -> Path:
    return make_synthetic_trackingnet(root, sets=sets, sequences=sequences, frames=FRAMES, size=SIZE, **options)


def rgb(path: Path) -> np.ndarray:
    return cv2.imread(str(path))[..., ::-1]


def files_of(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEQTRACK_CACHE_DIR", str(folder))
    return folder


# ---------------------------------------------------------------------------------------------- GOT-10k splits
def test_official_splits_have_the_documented_sizes_and_relations():
    sizes = {split: len(split_indices(split)) for split in SPLITS}
    assert sizes == {"vottrain": 7086, "votval": 1249, "train_full": 9335, "train": 7934, "val": 1401}
    full = split_indices("train_full")
    assert sorted(full) == list(range(9335)) and list(full) != sorted(full)  # a permutation, not sorted
    assert split_indices("train") == full[:7934] and split_indices("val") == full[7934:]
    assert set(split_indices("vottrain")) <= set(split_indices("train"))
    assert set(split_indices("votval")) <= set(split_indices("val"))
    assert [dataset_name(s) for s in SPLITS] == ["GOT10K_vottrain", "GOT10K_votval", "GOT10K_train_full",
                                                 "GOT10K_train", "GOT10K_val"]
    with pytest.raises(DatasetError, match="unknown GOT-10k split 'official_val'"):
        dataset_name("official_val")


# ---------------------------------------------------------------------------------------------- GOT-10k parsing
def test_visibility_follows_absence_cover_and_box_size(tmp_path):
    train = tmp_path / "train"
    boxes = [(1.5, 2.25, 10, 8), (1, 2, 10, 8), (1, 2, 10, 8), (1, 2, 10, 8), (1, 2, 0, 8), (1, 2, 10, 8)]
    write_got_sequence(train, "GOT-10k_Train_000001", boxes, [0, 1, 0, 0, 0, 0], [8, 8, 0, 3, 8, 1])
    dataset = got(tmp_path, [0], split="train_full")
    info = dataset.get_sequence_info(0)
    assert info["bbox"].dtype == torch.float32 and info["bbox"][0].tolist() == [1.5, 2.25, 10, 8]
    assert info["valid"].tolist() == [True, True, True, True, False, True]
    assert info["visible"].tolist() == [True, False, False, True, False, True]
    assert info["visible_ratio"].dtype == torch.float32
    assert info["visible_ratio"].tolist() == pytest.approx([1, 1, 0, 0.375, 1, 0.125])
    assert dataset.name == "GOT10K_train_full"


def test_generated_annotations_read_back_as_written(tmp_path):
    make_got(tmp_path)
    dataset = got(tmp_path)
    for seq_id, name in enumerate(dataset.sequence_list):
        seq_dir = tmp_path / "train" / name
        boxes = np.loadtxt(seq_dir / "groundtruth.txt", delimiter=",", ndmin=2)
        absence, cover = (np.loadtxt(seq_dir / f, dtype=int) for f in ("absence.label", "cover.label"))
        info = dataset.get_sequence_info(seq_id)
        assert np.array_equal(info["bbox"].numpy(), boxes.astype(np.float32))
        assert np.array_equal(info["visible"].numpy(), (absence == 0) & (cover > 0))
        assert np.allclose(info["visible_ratio"].numpy(), cover / 8)
    assert dataset.table.total_frames == 4 * FRAMES
    # the generator's rules: absent frames have cover 0; most frames are visible
    assert np.all(cover[absence == 1] == 0) and info["visible"].float().mean() > 0.5


def test_meta_is_read_from_lines_5_to_9(tmp_path):
    train = tmp_path / "train"
    box = [(1, 2, 10, 8)] * 3
    write_got_sequence(train, "unix", box, [0] * 3, [8] * 3, "\n".join(META_LINES) + "\n")
    write_got_sequence(train, "windows", box, [0] * 3, [8] * 3, "\r\n".join(META_LINES) + "\r\n")
    write_got_sequence(train, "none", box, [0] * 3, [8] * 3)
    dataset = got(tmp_path, [0, 1, 2])
    expected = {"object_class_name": "ailurus fulgens", "motion_class": "walking", "major_class": "carnivore",
                "root_class": "animal", "motion_adverb": "slowly"}
    assert dataset.sequence_meta(0) == expected and dataset.sequence_meta(1) == expected
    assert dataset.sequence_meta(2) == dict.fromkeys(expected)
    assert [dataset.sequence_class(i) for i in range(3)] == ["ailurus fulgens", "ailurus fulgens", None]


def test_short_meta_file_gives_no_meta_and_a_warning(tmp_path, caplog):
    write_got_sequence(tmp_path / "train", "short", [(1, 2, 10, 8)], [0], [8], "\n".join(META_LINES[:7]) + "\n")
    with caplog.at_level(logging.WARNING):
        dataset = got(tmp_path, [0], use_cache=False)
    assert dataset.sequence_meta(0)["object_class_name"] is None
    assert "meta_info.ini has 7 lines" in caplog.text


def test_generated_meta_and_frames_meta(tmp_path):
    make_got(tmp_path)
    dataset = got(tmp_path)
    lines = (tmp_path / "train" / dataset.sequence_list[1] / "meta_info.ini").read_text().splitlines()
    meta = dataset.sequence_meta(1)
    assert lines[0] == "[METAINFO]" and lines[4] == "anno_fps: 10Hz" and lines[10] == "resolution: (64, 48)"
    assert lines[5] == f"object_class: {meta['object_class_name']}" and lines[9].endswith(meta["motion_adverb"])
    _, _, frames_meta = dataset.get_frames(1, [0])
    assert frames_meta == {**meta, "sequence_name": "GOT-10k_Train_000002"}


# ---------------------------------------------------------------------------------------------- GOT-10k roots/splits
def test_split_file_order_and_the_train_folder_as_root(tmp_path):
    make_got(tmp_path)
    dataset = got(tmp_path, [3, 0, 2])
    assert dataset.sequence_list == ["GOT-10k_Train_000004", "GOT-10k_Train_000001", "GOT-10k_Train_000003"]
    assert dataset.name == "GOT10K_vottrain" and dataset.split == "vottrain"
    same = Got10k(tmp_path / "train", "vottrain", split_file=tmp_path / "split.txt")
    assert same.sequence_list == dataset.sequence_list
    assert torch.equal(same.get_sequence_info(0)["bbox"], dataset.get_sequence_info(0)["bbox"])


def test_official_split_on_a_partial_copy_names_split_index_and_split_file(tmp_path):
    make_got(tmp_path)
    with pytest.raises(DatasetError) as error:
        Got10k(tmp_path, "votval")
    message = str(error.value)
    assert "split 'votval'" in message and f"index {split_indices('votval')[0]}" in message
    assert "has only 4 lines" in message and "split_file" in message


def test_split_file_index_beyond_the_list(tmp_path):
    make_got(tmp_path)
    with pytest.raises(DatasetError, match=r"uses index 4 .*has only 4 lines"):
        got(tmp_path, [0, 4])
    with pytest.raises(DatasetError, match=r"split.txt, line 2: expected one integer per line, got 'x'"):
        got(tmp_path, [0, "x"])


def test_missing_root_or_list_is_an_error_saying_what_is_expected(tmp_path):
    with pytest.raises(DatasetError, match=r"GOT-10k root .*nowhere does not exist.*GOT10K_DIR.*train/list.txt"):
        Got10k(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"holds neither train/list.txt nor list.txt"):
        Got10k(tmp_path / "empty")


# ---------------------------------------------------------------------------------------------- GOT-10k bad files
def _remove(seq_dir: Path, name: str) -> None:
    (seq_dir / name).unlink()


def _shorten(seq_dir: Path, name: str) -> None:
    lines = (seq_dir / name).read_text().splitlines(keepends=True)
    (seq_dir / name).write_text("".join(lines[:-1]))


def _bad_line(seq_dir: Path, name: str) -> None:
    lines = (seq_dir / name).read_text().splitlines(keepends=True)
    lines[2] = "1;2;3;4\n"
    (seq_dir / name).write_text("".join(lines))


def _bad_cover(seq_dir: Path, name: str) -> None:
    (seq_dir / name).write_text("9\n" * FRAMES)


@pytest.mark.parametrize("damage, file, message", [
    (_remove, "groundtruth.txt", r"annotation file .*GOT-10k_Train_000002/groundtruth.txt is missing"),
    (_remove, "absence.label", r"GOT-10k_Train_000002/absence.label is missing"),
    (_remove, "cover.label", r"GOT-10k_Train_000002/cover.label is missing"),
    (_shorten, "cover.label", rf"cover.label: {FRAMES - 1} labels but {FRAMES} boxes in groundtruth.txt"),
    (_shorten, "absence.label", rf"absence.label: {FRAMES - 1} labels but {FRAMES} boxes"),
    (_bad_line, "groundtruth.txt", r"groundtruth.txt, line 3: expected 'x,y,w,h' .*got '1;2;3;4'"),
    (_bad_cover, "cover.label", r"cover.label, line 1: label 9 is outside 0..8"),
])
def test_bad_annotation_files_name_the_sequence_the_file_and_what_to_do(tmp_path, damage, file, message):
    make_got(tmp_path)
    damage(tmp_path / "train" / "GOT-10k_Train_000002", file)
    with pytest.raises(DatasetError, match=message) as error:
        got(tmp_path, use_cache=False)
    assert "GOT-10k sequence GOT-10k_Train_000002" in str(error.value) and "re-extract" in str(error.value)


def test_missing_sequence_folder_is_named(tmp_path):
    make_got(tmp_path)
    shutil.rmtree(tmp_path / "train" / "GOT-10k_Train_000003")
    with pytest.raises(DatasetError, match=r"sequence folder .*GOT-10k_Train_000003 \(listed in list.txt\) is missing"):
        got(tmp_path, use_cache=False)


def test_missing_frames_are_found_when_the_sequence_is_first_read(tmp_path):
    make_got(tmp_path)
    (tmp_path / "train" / "GOT-10k_Train_000002" / "00000013.jpg").unlink()
    dataset = got(tmp_path)  # frames are not checked at start-up
    dataset.get_frames(0, [0])
    with pytest.raises(DatasetError, match=r"GOT10K_vottrain sequence 'GOT-10k_Train_000002' is incomplete: 1 of its "
                                           rf"{FRAMES} annotated frames are missing .*\(first: 00000013.jpg\).*"
                                           r"re-extract"):
        dataset.get_frames(1, [0])


def test_get_frames_returns_frame_files_one_based_with_their_rows(tmp_path):
    make_got(tmp_path)
    dataset = got(tmp_path)
    frames, anno, meta = dataset.get_frames(2, [0, 7, 7, 24])
    seq_dir = tmp_path / "train" / "GOT-10k_Train_000003"
    assert [f.shape for f in frames] == [(SIZE[1], SIZE[0], 3)] * 4 and frames[0].dtype == np.uint8
    for frame, i in zip(frames, [0, 7, 7, 24]):
        assert np.array_equal(frame, rgb(seq_dir / f"{i + 1:08d}.jpg"))
    assert not np.array_equal(frames[1], rgb(seq_dir / "00000007.jpg"))  # the 0-based id is not the file number
    boxes = dataset.get_sequence_info(2)["bbox"]
    assert [a.tolist() for a in anno["bbox"]] == [boxes[i].tolist() for i in [0, 7, 7, 24]]
    assert set(anno) == {"bbox", "valid", "visible", "visible_ratio"}
    with pytest.raises(IndexError, match="out of range"):
        dataset.get_frames(2, [FRAMES])


# ---------------------------------------------------------------------------------------------- GOT-10k cache
def test_cache_second_start_reads_no_file_and_a_changed_file_is_read_again(tmp_path, cache, caplog, monkeypatch):
    make_got(tmp_path)
    first = got(tmp_path)
    assert len(list(cache.glob("got10k-*.npz"))) == 1

    def no_read(seq_dir):
        raise AssertionError(f"{seq_dir} read again despite the cache")

    with monkeypatch.context() as patch, caplog.at_level(logging.INFO):
        patch.setattr(got10k_train_set, "read_sequence_annotation", no_read)
        second = got(tmp_path)
    assert "annotations of 4 sequences from the cache" in caplog.text
    assert second.sequence_list == first.sequence_list
    assert torch.equal(second.get_sequence_info(1)["visible"], first.get_sequence_info(1)["visible"])
    assert second.sequence_meta(1) == first.sequence_meta(1) and second.sequence_classes == first.sequence_classes

    cover = tmp_path / "train" / "GOT-10k_Train_000002" / "cover.label"
    stat = cover.stat()
    cover.write_text("0\n" * FRAMES)
    os.utime(cover, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        third = got(tmp_path)
    assert "from the cache" not in caplog.text
    assert not third.get_sequence_info(1)["visible"].any() and first.get_sequence_info(1)["visible"].any()
    assert torch.equal(third.get_sequence_info(0)["visible"], first.get_sequence_info(0)["visible"])


def test_use_cache_false_writes_no_cache(tmp_path, cache):
    make_got(tmp_path)
    got(tmp_path, use_cache=False)
    assert not cache.exists() or not list(cache.iterdir())


# ---------------------------------------------------------------------------------------------- TrackingNet
def test_chunks_on_disk_are_used_and_videos_are_sorted(tmp_path, caplog):
    make_tn(tmp_path)
    with caplog.at_level(logging.INFO):
        dataset = TrackingNet(tmp_path)
    assert dataset.name == "TRACKINGNET" and dataset.set_ids == [0, 2]
    assert "using the chunks on disk, TRAIN_0, TRAIN_2; not found: TRAIN_1, TRAIN_3" in caplog.text
    expected = [f"TRAIN_{s}/{p.stem}" for s in (0, 2) for p in sorted((tmp_path / f"TRAIN_{s}" / "anno").iterdir())]
    assert dataset.sequence_list == expected and len(expected) == 6
    assert TrackingNet(tmp_path, set_ids=[2]).sequence_list == expected[3:]


def test_requested_chunk_missing_or_invalid_and_no_chunk_at_all(tmp_path):
    make_tn(tmp_path)
    with pytest.raises(DatasetError, match=r"TRAIN_1 requested .*TRAIN_1/anno is missing.*disk \(TRAIN_0, TRAIN_2\)"):
        TrackingNet(tmp_path, set_ids=[0, 1])
    with pytest.raises(DatasetError, match=r"chunks are 0 ... 11.*\[12\]"):
        TrackingNet(tmp_path, set_ids=[12])
    assert TrackingNet(tmp_path, set_ids=np.array([2, 0, 2])).set_ids == [2, 0]  # in the order asked
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"holds no training chunk"):
        TrackingNet(tmp_path / "empty")
    with pytest.raises(DatasetError, match=r"TrackingNet root .*nowhere does not exist.*TRACKINGNET_DIR"):
        TrackingNet(tmp_path / "nowhere")


def test_classes_come_from_the_class_map_and_an_unknown_video_has_none(tmp_path):
    make_tn(tmp_path)
    (tmp_path / "TRAIN_0" / "anno" / "zzzzzzzzzzz_9.txt").write_text("1,2,10,8\n" * FRAMES)
    dataset = TrackingNet(tmp_path)
    videos = [name.split("/")[1] for name in dataset.sequence_list]
    unknown = videos.index("zzzzzzzzzzz_9")
    assert dataset.sequence_class(unknown) is None
    assert dataset.sequence_meta(unknown) == {"object_class_name": None, "motion_class": None, "major_class": None,
                                              "root_class": None, "motion_adverb": None}
    known = [i for i in range(len(videos)) if i != unknown]
    assert [dataset.sequence_class(i) for i in known] == [class_map()[videos[i]] for i in known]
    assert len(class_map()) == 30134 and class_map()["Nf1aqv5Fg5o_0"] == "airplane"


def test_boxes_visibility_and_a_bad_line(tmp_path):
    make_tn(tmp_path, sets=(0,), sequences=1)
    anno = tmp_path / "TRAIN_0" / "anno" / "custom_0.txt"
    anno.write_text("1.5,2,10,8\n1,2,0,8\n1,2,10,-1\n")
    dataset = TrackingNet(tmp_path, use_cache=False)
    info = dataset.get_sequence_info(dataset.sequence_list.index("TRAIN_0/custom_0"))
    assert info["bbox"][0].tolist() == [1.5, 2, 10, 8]
    assert info["visible"].tolist() == [True, False, False] and info["valid"].tolist() == [True, False, False]
    anno.write_text("1,2,10,8\n1 2 10 8\n")
    with pytest.raises(DatasetError, match=r"TrackingNet TRAIN_0: .*custom_0.txt, line 2: expected 'x,y,w,h'"):
        TrackingNet(tmp_path, use_cache=False)


def test_trackingnet_missing_frames(tmp_path):
    make_tn(tmp_path)
    dataset = TrackingNet(tmp_path)
    frames_dir = tmp_path / "TRAIN_0" / "frames"
    first, second = (name.split("/")[1] for name in dataset.sequence_list[:2])
    shutil.rmtree(frames_dir / first)
    (frames_dir / second / "7.jpg").unlink()
    with pytest.raises(DatasetError, match=rf"sequence 'TRAIN_0/{first}' is incomplete: its frames folder "
                                           r".*is missing.*zips"):
        dataset.get_frames(0, [0])
    with pytest.raises(DatasetError, match=rf"1 of its {FRAMES} annotated frames are missing .*\(first: 7.jpg\)"):
        dataset.get_frames(1, [0])
    dataset.get_frames(2, [0])


def test_trackingnet_frames_are_zero_based_files(tmp_path):
    make_tn(tmp_path)
    dataset = TrackingNet(tmp_path)
    set_name, video = dataset.sequence_list[4].split("/")
    frames, anno, meta = dataset.get_frames(4, [3, 0, 24])
    for frame, i in zip(frames, [3, 0, 24]):
        assert frame.shape == (SIZE[1], SIZE[0], 3)
        assert np.array_equal(frame, rgb(tmp_path / set_name / "frames" / video / f"{i}.jpg"))
    boxes = np.loadtxt(tmp_path / set_name / "anno" / f"{video}.txt", delimiter=",")
    assert [a.tolist() for a in anno["bbox"]] == boxes[[3, 0, 24]].astype(np.float32).tolist()
    assert meta["sequence_name"] == f"{set_name}/{video}"


def test_trackingnet_cache_hit_and_invalidation(tmp_path, cache, caplog, monkeypatch):
    make_tn(tmp_path)
    first = TrackingNet(tmp_path)
    with monkeypatch.context() as patch, caplog.at_level(logging.INFO):
        patch.setattr(trackingnet_train_set, "read_boxes", lambda path: pytest.fail(f"{path} read again"))
        second = TrackingNet(tmp_path)
    assert "trackingnet: annotations of 6 sequences from the cache" in caplog.text
    assert second.sequence_classes == first.sequence_classes
    anno = tmp_path / "TRAIN_2" / "anno" / f"{first.sequence_list[3].split('/')[1]}.txt"
    stat = anno.stat()
    anno.write_text("5,6,7,8\n" * FRAMES)
    os.utime(anno, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = TrackingNet(tmp_path)
    assert third.get_sequence_info(3)["bbox"][0].tolist() == [5, 6, 7, 8]
    assert third.get_sequence_info(3)["bbox"][0].tolist() != first.get_sequence_info(3)["bbox"][0].tolist()
    # a chunk added on disk is a new sequence list: read again, not a stale cache entry
    make_tn(tmp_path, sets=(5,), sequences=2)
    assert TrackingNet(tmp_path).set_ids == [0, 2, 5] and TrackingNet(tmp_path).get_num_sequences() == 8
    assert len(list(cache.glob("trackingnet-*.npz"))) == 1  # the entry was replaced, not joined by another


# ---------------------------------------------------------------------------------------------- both, with the sampler
def test_sampler_draws_from_both(tmp_path):
    make_got(tmp_path / "got")
    make_tn(tmp_path / "tn")
    datasets = [got(tmp_path / "got"), TrackingNet(tmp_path / "tn")]
    sampler = TrackingSampler(datasets, [1, 1], samples_per_epoch=8, max_gap=10, num_search_frames=1,
                              num_template_frames=2, processing=lambda sample, rng: sample)
    drawn = [sampler[i] for i in range(8)]
    assert {d["dataset"] for d in drawn} == {"GOT10K_vottrain", "TRACKINGNET"}
    assert all(len(d["template_images"]) == 2 and len(d["search_images"]) == 1 for d in drawn)


# ---------------------------------------------------------------------------------------------- generators
def test_generators_are_deterministic_and_refuse_other_data(tmp_path):
    for make in (make_got, make_tn):
        make(tmp_path / "a")
        make(tmp_path / "b")
        assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
        before = files_of(tmp_path / "a")
        make(tmp_path / "a")  # the same output again: kept
        assert files_of(tmp_path / "a") == before
        with pytest.raises(DatasetError, match="already holds other data|already lists other sequences"):
            make(tmp_path / "a", seed=1)
        make(tmp_path / "a", seed=1, overwrite=True)
        assert files_of(tmp_path / "a") != before
        shutil.rmtree(tmp_path / "a")
        shutil.rmtree(tmp_path / "b")


def test_annotation_only_output_equals_the_annotations_of_the_full_output(tmp_path):
    make_got(tmp_path / "full")
    make_got(tmp_path / "annos", images=False)
    make_tn(tmp_path / "full")
    make_tn(tmp_path / "annos", images=False)
    full = {k: v for k, v in files_of(tmp_path / "full").items() if not k.endswith(".jpg")}
    assert files_of(tmp_path / "annos") == full and len(full) == 4 * 4 + 1 + 6


def test_generated_layouts_of_the_got10k_subsets(tmp_path):
    make_synthetic_got10k(tmp_path, sequences=2, frames=[25, 30], size=SIZE, subset="val")
    assert (tmp_path / "val" / "list.txt").read_text() == "GOT-10k_Val_000001\nGOT-10k_Val_000002\n"
    assert len(list((tmp_path / "val" / "GOT-10k_Val_000002").glob("*.jpg"))) == 30
    make_synthetic_got10k(tmp_path, sequences=2, frames=FRAMES, size=SIZE, subset="test")
    test_dir = tmp_path / "test" / "GOT-10k_Test_000001"
    assert sorted(p.name for p in test_dir.iterdir() if p.suffix != ".jpg") == ["groundtruth.txt"]
    assert re.fullmatch(r"\d+\.0000,\d+\.0000,\d+\.0000,\d+\.0000\n", (test_dir / "groundtruth.txt").read_text())
    assert len(list(test_dir.glob("*.jpg"))) == FRAMES
    with pytest.raises(DatasetError, match="one per sequence"):
        make_synthetic_got10k(tmp_path / "x", sequences=2, frames=[25])
    with pytest.raises(DatasetError, match="unknown GOT-10k subset"):
        make_synthetic_got10k(tmp_path / "x", subset="training")


def test_generated_trackingnet_test_chunk(tmp_path):
    make_synthetic_trackingnet(tmp_path, sequences=3, frames=FRAMES, size=SIZE, subset="TEST")
    annos = sorted((tmp_path / "TEST" / "anno").iterdir())
    assert len(annos) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{11}_\d", p.stem) for p in annos)
    assert all(len(p.read_text().splitlines()) == 1 for p in annos)
    assert all(len(list((tmp_path / "TEST" / "frames" / p.stem).iterdir())) == FRAMES for p in annos)
    assert sorted(os.listdir(tmp_path)) == ["TEST"]
