"""Benchmark readers other than LaSOT (GOT-10k, TrackingNet, TNL2K, UAV123, NfS, OTB100, TC128) on generated
copies in their public layouts: names, frames, ground truth, the tables' special cases, and errors that name
what is wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from lib.data.benchmarks import nfs, otb, uav
from lib.data.benchmarks.registry import benchmark
from lib.data.benchmarks.table import table_rows
from lib.data.errors import DatasetError
from lib.data.local_settings import DATA_ROOTS
from lib.data.synthetic.benchmarks import LAYOUTS, make_synthetic_benchmark, synthetic_names

NEW = ("got10k_test", "got10k_val", "trackingnet", "tnl2k", "uav", "nfs", "otb", "tc128")
TABLES = {"uav": uav, "nfs": nfs, "otb": otb}
OTB_COUNT = 5  # Tiger1, BlurCar3, Jogging_1, Jogging_2 and the shortest, Deer


def count(layout: str) -> int:
    return OTB_COUNT if layout == "otb" else 3


def generate(layout: str, root: Path, **kwargs) -> Path:
    return make_synthetic_benchmark(layout, root, sequences=kwargs.pop("sequences", count(layout)), **kwargs)


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict:
    """One generated copy per layout, read by the tests that do not change it."""
    base = tmp_path_factory.mktemp("benchmarks")
    return {layout: generate(layout, base / layout) for layout in LAYOUTS}


def gt_file(layout: str, root: Path, name: str) -> Path:
    """Where the ground truth of ``name`` is, written out here independently of the readers (but the tables)."""
    return {
        "got10k_test": lambda: root / "test" / name / "groundtruth.txt",
        "got10k_val": lambda: root / "val" / name / "groundtruth.txt",
        "trackingnet": lambda: root / "TEST" / "anno" / f"{name}.txt",
        "tnl2k": lambda: root / name / "groundtruth.txt",
        "tc128": lambda: root / name / f"{name}_gt.txt",
        **{key: (lambda m=module: root / m.entries()[name].gt_file) for key, module in TABLES.items()},
    }[layout]()


def load_text(path: Path) -> np.ndarray:
    """The boxes of a file, parsed here with numpy: ',' or else whitespace, NaN allowed."""
    text = path.read_text()
    return np.loadtxt(path, delimiter="," if "," in text else None, ndmin=2)


# --- the registry -----------------------------------------------------------------------------------------

def test_registry_names_tags_and_keys():
    expected = {  # name: (result tag, config key, public ground truth, root key)
        "got10k_test": ("got10k", "GOT10K_TEST", False, "got10k"),
        "got10k_val": ("got10k", "GOT10K_VAL", True, "got10k"),
        "trackingnet": ("trackingnet", "TRACKINGNET", False, "trackingnet"),
        "tnl2k": ("tnl2k", "TNL2K", True, "tnl2k"),
        "uav": ("uav", "UAV", True, "uav"),
        "nfs": ("nfs", "NFS", True, "nfs"),
        "otb": ("otb", "OTB", True, "otb"),
        "tc128": ("tc128", "TC128", True, "tc128"),
    }
    for name, (tag, key, public, root_key) in expected.items():
        entry = benchmark(name)
        assert (entry.name, entry.result_tag, entry.config_key, entry.public_ground_truth, entry.root_key) == (
            name, tag, key, public, root_key)
        assert root_key in DATA_ROOTS and entry.layout
    assert set(LAYOUTS) == set(NEW) | {"lasot_extension_subset"}
    with pytest.raises(DatasetError, match="unknown benchmark 'uav124'.*tc128"):
        benchmark("uav124")


@pytest.mark.parametrize("layout", list(TABLES))
def test_table_rules_give_the_files_the_original_reads(layout):
    """Every row of the three tables: the paths our rule builds are those the table says the original reads."""
    module = TABLES[layout]
    rows = table_rows(module.TABLE)
    entries = module.entries()
    assert list(entries) == [row["name"] for row in rows] and len(rows) == {"uav": 123, "nfs": 100, "otb": 100}[layout]
    for row in rows:
        entry, effective = entries[row["name"]], row["effective"]
        (gt_read,) = effective["gt_files_read"]
        assert entry.frame_file(entry.first_frame) == effective["first_frame_file"]
        assert entry.frame_file(entry.last_frame) == effective["last_frame_file"]
        assert len(entry.frame_numbers) == effective["num_frames"]
        assert (entry.gt_file, entry.gt_rows_dropped) == (gt_read["file"], effective["gt_rows_dropped_at_start"])
        assert entry.object_class == effective["object_class"]


def test_nfs_paths_are_rewritten():
    entry = nfs.entries()["nfs_Gymnastics"]
    assert (entry.frame_file(1), entry.gt_file) == ("Gymnastics/30/Gymnastics/00001.jpg",
                                                    "Gymnastics/30/Gymnastics_pytracking.txt")


# --- generated copies read back ---------------------------------------------------------------------------

@pytest.mark.parametrize("layout", NEW)
def test_generated_copy_reads_back(copies, layout):
    root, entry = copies[layout], benchmark(layout)
    names = synthetic_names(layout, count(layout))
    listed = entry.list_sequences(root)
    if layout in TABLES:
        assert listed == list(TABLES[layout].entries()) and set(names) <= set(listed)
    else:
        assert listed == names == sorted(names)
    for name in names:
        sequence = entry.load_sequence(root, name)
        assert (sequence.name, sequence.benchmark) == (name, layout)
        assert all(Path(frame).is_file() for frame in sequence.frames)
        expected = load_text(gt_file(layout, root, name))
        if layout == "otb" and name == "Tiger1":
            expected = expected[5:]
        np.testing.assert_array_equal(sequence.ground_truth, expected)
        assert sequence.ground_truth.dtype == np.float64 and sequence.target_visible is None
        one_box = layout in ("got10k_test", "trackingnet")
        assert len(sequence.ground_truth) == (1 if one_box else len(sequence.frames))
        assert entry.load_sequence(root, name, check_frames=False).frames == sequence.frames


def test_got10k_test_holds_frames_and_the_first_box_only(copies):
    root = copies["got10k_test"]
    sequence = benchmark("got10k_test").load_sequence(root, "GOT-10k_Test_000002")
    assert len(sequence) == 30 and sequence.ground_truth.shape == (1, 4)
    assert sequence.frames[0] == str(root / "test" / "GOT-10k_Test_000002" / "00000001.jpg")
    assert sequence.frames[-1].endswith("/00000030.jpg")
    assert sequence.labels == {} and sequence.resolution is None and sequence.object_class is None


def test_got10k_val_reads_labels_resolution_and_class(copies):
    root = copies["got10k_val"]
    sequence = benchmark("got10k_val").load_sequence(root, "GOT-10k_Val_000001")
    meta = (root / "val" / "GOT-10k_Val_000001" / "meta_info.ini").read_text()
    assert sequence.resolution == (48, 36) and f"\nobject_class: {sequence.object_class}\n" in meta
    cover, absence = sequence.labels["cover"], sequence.labels["absence"]
    seq_dir = root / "val" / "GOT-10k_Val_000001"
    np.testing.assert_array_equal(cover, np.loadtxt(seq_dir / "cover.label", dtype=np.int64))
    np.testing.assert_array_equal(absence, np.loadtxt(seq_dir / "absence.label", dtype=np.int64))
    assert cover.shape == absence.shape == (30,) and cover.dtype == np.int64
    assert set(cover.tolist()) <= set(range(9)) and (cover[absence == 1] == 0).all()


def test_trackingnet_frames_are_ordered_by_number(copies):
    root = copies["trackingnet"]
    name = synthetic_names("trackingnet")[0]
    frames = benchmark("trackingnet").load_sequence(root, name).frames
    assert [Path(f).name for f in frames[:12]] == [f"{i}.jpg" for i in range(12)]  # 10.jpg after 9.jpg, not 1.jpg
    assert frames[0] == str(root / "TEST" / "frames" / name / "0.jpg") and frames[-1].endswith("/29.jpg")


def test_tnl2k_sequences_and_frames_in_name_order(copies):
    root = copies["tnl2k"]
    assert benchmark("tnl2k").list_sequences(root) == ["Bird_video_03", "Cartoon_Dog_video_01", "advSamp_Car_02"]
    frames = benchmark("tnl2k").load_sequence(root, "Bird_video_03").frames
    assert frames[0] == str(root / "Bird_video_03" / "imgs" / "00001.jpg") and len(frames) == 30


def test_uav_sub_sequence_and_nan_rows(copies):
    root = copies["uav"]
    sequence = benchmark("uav").load_sequence(root, "uav_person8_2")
    assert len(sequence) == 451 and sequence.ground_truth.shape == (451, 4)
    assert sequence.frames[0] == str(root / "data_seq" / "UAV123" / "person8" / "001075.jpg")
    assert sequence.frames[-1].endswith("person8/001525.jpg")
    nan_rows = np.isnan(sequence.ground_truth)
    assert nan_rows.any() and (nan_rows.all(axis=1) == nan_rows.any(axis=1)).all()  # whole rows, kept in place
    assert not nan_rows[0].any() and sequence.object_class == "person"
    assert "uav_person8_1" in benchmark("uav").list_sequences(root)  # same folder, its own sequence


def test_nfs_reads_the_rewritten_paths(copies):
    root = copies["nfs"]
    sequence = benchmark("nfs").load_sequence(root, "nfs_car_jumping")
    assert len(sequence) == 22 and sequence.frames[0] == str(root / "car_jumping" / "30" / "car_jumping" / "00001.jpg")
    np.testing.assert_array_equal(sequence.ground_truth, load_text(root / "car_jumping/30/car_jumping_pytracking.txt"))
    assert not (root / "sequences").exists() and not (root / "anno").exists()  # the table's own paths: unused


def test_otb_special_cases(copies):
    root, otb_benchmark = copies["otb"], benchmark("otb")
    tiger = otb_benchmark.load_sequence(root, "Tiger1")  # initOmit 5: frames 6 .. 354, ground-truth rows 5 ..
    assert len(tiger) == 349 and tiger.frames[0].endswith("Tiger1/img/0006.jpg")
    assert (root / "Tiger1" / "img" / "0001.jpg").is_file()  # the omitted frames are there, just not tracked
    np.testing.assert_array_equal(tiger.ground_truth, load_text(root / "Tiger1/groundtruth_rect.txt")[5:])
    assert len(load_text(root / "Tiger1/groundtruth_rect.txt")) == 354
    blur = otb_benchmark.load_sequence(root, "BlurCar3")  # starts at frame 3, ground-truth row 0 = frame 3
    assert len(blur) == 357 and blur.frames[0].endswith("BlurCar3/img/0003.jpg") and len(blur.ground_truth) == 357
    jog1, jog2 = (otb_benchmark.load_sequence(root, n) for n in ("Jogging_1", "Jogging_2"))
    assert jog1.frames == jog2.frames and jog1.frames[0] == str(root / "Jogging" / "img" / "0001.jpg")
    tab_separated = [p for p in root.glob("*/groundtruth_rect*.txt") if "\t" in p.read_text()]
    assert tab_separated and all("," not in p.read_text() for p in tab_separated)
    assert (root / "Jogging" / "groundtruth_rect.2.txt") in tab_separated  # read back equal above


def test_tc128_frame_range_from_frames_file(copies):
    root = copies["tc128"]
    assert (root / "Baby_ce" / "Baby_ce_frames.txt").read_text() == "3,32\n"
    sequence = benchmark("tc128").load_sequence(root, "Baby_ce")
    assert len(sequence) == 30 and sequence.frames[0] == str(root / "Baby_ce" / "img" / "0003.jpg")
    assert sequence.frames[-1].endswith("Baby_ce/img/0032.jpg")


def test_lasot_extension_copy(copies):
    root, entry = copies["lasot_extension_subset"], benchmark("lasot_extension_subset")
    assert synthetic_names("lasot_extension_subset") == ["atv-1", "badminton-1", "cosplay-1"]
    assert entry.list_sequences(root, ["badminton"]) == [f"badminton-{i}" for i in range(1, 11)]
    sequence = entry.load_sequence(root, "badminton-1")
    assert len(sequence) == 30 and sequence.object_class == "badminton" and sequence.target_visible.shape == (30,)


def test_table_sequences_written_are_a_few_hundred_frames_at_most():
    for layout, module in TABLES.items():
        entries = module.entries()
        lengths = [len(entries[n].frame_numbers) for n in synthetic_names(layout, 10)]
        assert max(lengths) <= 460, (layout, lengths)


# --- the generator ------------------------------------------------------------------------------------------

def digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_keeps_its_output(tmp_path):
    for layout in ("got10k_val", "uav", "tc128"):
        first = generate(layout, tmp_path / "a" / layout, sequences=2)
        again = generate(layout, tmp_path / "b" / layout, sequences=2)
        assert digest(first) == digest(again) and digest(first)
        stamp = {p: p.stat().st_mtime_ns for p in first.rglob("*")}
        generate(layout, first, sequences=2)  # up to date: nothing rewritten
        assert {p: p.stat().st_mtime_ns for p in first.rglob("*")} == stamp


def test_other_data_in_the_way(tmp_path):
    root = generate("tnl2k", tmp_path / "tnl2k", sequences=2)
    with pytest.raises(DatasetError, match=r"tnl2k already holds other data .* than this synthetic TNL2K.*overwrite"):
        generate("tnl2k", root, sequences=2, seed=1)
    generate("tnl2k", root, sequences=2, seed=1, overwrite=True)
    assert digest(root) == digest(generate("tnl2k", tmp_path / "fresh", sequences=2, seed=1))


def test_got10k_splits_and_trackingnet_test_share_their_roots(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "keep.txt").write_text("training data")
    for layout in ("got10k_val", "got10k_test", "trackingnet"):
        generate(layout, tmp_path, sequences=2)
        assert benchmark(layout).list_sequences(tmp_path) == synthetic_names(layout, 2)
    assert (tmp_path / "train" / "keep.txt").read_text() == "training data"


def test_generator_refuses_bad_arguments(tmp_path):
    with pytest.raises(DatasetError, match="unknown benchmark layout 'vot'"):
        make_synthetic_benchmark("vot", tmp_path)
    with pytest.raises(DatasetError, match="uav has 123 sequences"):
        make_synthetic_benchmark("uav", tmp_path, sequences=124)
    with pytest.raises(DatasetError, match="at least 32x32"):
        make_synthetic_benchmark("tnl2k", tmp_path, size=(16, 16))


# --- errors -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", NEW)
def test_missing_root_says_how_to_set_it(tmp_path, layout):
    entry, missing = benchmark(layout), tmp_path / "nowhere"
    with pytest.raises(DatasetError) as err:
        entry.check_root(missing)
    assert str(missing) in str(err.value) and f"{entry.root_key.upper()}_DIR" in str(err.value)
    assert entry.layout in str(err.value)
    with pytest.raises(DatasetError, match="nowhere"):
        entry.load_sequence(missing, synthetic_names(layout, 1)[0])


@pytest.mark.parametrize("layout", NEW)
def test_missing_annotation_is_named(tmp_path, layout):
    root = generate(layout, tmp_path / layout, sequences=1)
    name = synthetic_names(layout, 1)[0]
    path = gt_file(layout, root, name)
    path.unlink()
    with pytest.raises(DatasetError, match=f"{path.name}"):
        benchmark(layout).load_sequence(root, name, check_frames=False)


@pytest.mark.parametrize("layout", NEW)
def test_bad_line_names_file_and_line(tmp_path, layout):
    root = generate(layout, tmp_path / layout, sequences=1)
    name = synthetic_names(layout, 1)[0]
    path = gt_file(layout, root, name)
    lines = path.read_text().splitlines()
    bad = min(2, len(lines))
    lines[bad - 1] = "1,2,three,4"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=rf"{path.name}, line {bad}: expected 'x,y,w,h'.*'1,2,three,4'"):
        benchmark(layout).load_sequence(root, name, check_frames=False)


@pytest.mark.parametrize("layout", NEW)
def test_missing_frames_name_the_sequence_count_and_first(tmp_path, layout):
    root = generate(layout, tmp_path / layout, sequences=1)
    name = synthetic_names(layout, 1)[0]
    entry = benchmark(layout)
    frames = entry.load_sequence(root, name).frames
    for index in (3, 5):
        Path(frames[index]).unlink()
    if layout == "tnl2k":  # frames in name order, no numbering: how many are missing, not which
        message = rf"sequence {name} is incomplete: 2 of its 30 annotated frames are missing from .*imgs"
    else:
        message = rf"sequence {name} is incomplete: 2 of its {len(frames)} frames are missing .*" \
                  rf"\(first: .*{Path(frames[3]).name}\)"
    with pytest.raises(DatasetError, match=message):
        entry.load_sequence(root, name)
    assert entry.load_sequence(root, name, check_frames=False).ground_truth.size  # the evaluation reads on


@pytest.mark.parametrize("layout", NEW)
def test_unknown_sequence_name(copies, layout):
    with pytest.raises(DatasetError, match=r"'no_such_sequence' is not an? .*sequence"):
        benchmark(layout).load_sequence(copies[layout], "no_such_sequence")


def test_tnl2k_without_language_txt(tmp_path):
    root = generate("tnl2k", tmp_path / "tnl2k", sequences=1)
    name = synthetic_names("tnl2k", 1)[0]
    (root / name / "language.txt").unlink()
    with pytest.raises(DatasetError, match=rf"sequence {name}: .*{name}/language\.txt is missing"):
        benchmark("tnl2k").load_sequence(root, name, check_frames=False)


def test_got10k_val_label_and_meta_errors(tmp_path):
    root = generate("got10k_val", tmp_path / "got", sequences=1)
    seq_dir = root / "val" / "GOT-10k_Val_000001"
    load = benchmark("got10k_val").load_sequence
    (seq_dir / "cover.label").write_text("8\n" * 29)
    with pytest.raises(DatasetError, match=r"cover\.label: 29 labels but 30 boxes"):
        load(root, "GOT-10k_Val_000001")
    (seq_dir / "cover.label").unlink()
    meta = (seq_dir / "meta_info.ini").read_text().replace("resolution: (48, 36)", "resolution: 48x36")
    (seq_dir / "meta_info.ini").write_text(meta)
    with pytest.raises(DatasetError, match=r"meta_info\.ini, line 11: expected 'resolution: \(width, height\)'"):
        load(root, "GOT-10k_Val_000001")
    (seq_dir / "meta_info.ini").unlink()
    sequence = load(root, "GOT-10k_Val_000001")  # both are optional
    assert sequence.resolution is None and list(sequence.labels) == ["absence"]


def test_tc128_bad_frames_file(tmp_path):
    root = generate("tc128", tmp_path / "tc128", sequences=1)
    (root / "Airport_ce" / "Airport_ce_frames.txt").write_text("1 30\n")
    with pytest.raises(DatasetError, match=r"Airport_ce_frames\.txt, line 1: expected 'start,end'.*'1 30'"):
        benchmark("tc128").load_sequence(root, "Airport_ce")


def test_nan_rows_only_for_uav(tmp_path):
    root = generate("nfs", tmp_path / "nfs", sequences=1)
    path = root / nfs.entries()["nfs_car_jumping"].gt_file
    lines = path.read_text().splitlines()
    lines[4] = "NaN,NaN,NaN,NaN"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"_pytracking\.txt, line 5"):
        benchmark("nfs").load_sequence(root, "nfs_car_jumping")


def test_class_selection(copies):
    aircraft = benchmark("uav").list_sequences(copies["uav"], ["aircraft"])
    assert "uav_uav2" in aircraft and "uav_bike1" not in aircraft
    assert all(uav.entries()[n].object_class == "aircraft" for n in aircraft)
    with pytest.raises(DatasetError, match="UAV123 has no object class spaceship; its classes: .*aircraft"):
        benchmark("uav").list_sequences(copies["uav"], ["spaceship"])
    for layout in ("got10k_test", "got10k_val", "trackingnet", "tnl2k", "tc128"):
        with pytest.raises(DatasetError, match="has no classes to select"):
            benchmark(layout).list_sequences(copies[layout], ["person"])


def test_empty_lists_are_errors(tmp_path):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "list.txt").write_text("\n")
    with pytest.raises(DatasetError, match=r"list\.txt lists no sequences"):
        benchmark("got10k_test").list_sequences(tmp_path)
    with pytest.raises(DatasetError, match=r"TC128 root .* holds no <sequence>/\*_gt\.txt"):
        benchmark("tc128").list_sequences(tmp_path)
    with pytest.raises(DatasetError, match="TrackingNet test annotations .* do not exist"):
        benchmark("trackingnet").list_sequences(tmp_path)
