"""The dataset tools through their command lines: make_synthetic_lasot.py --layout writes what the readers read,
count_dataset.py counts a mix, and tracking/test.py + pack_submission.py leave the servers' archives."""

from __future__ import annotations

import zipfile

import pytest
from e2e import load_script, write_checkpoint

from lib.data.benchmarks.registry import BENCHMARKS
from lib.data.synthetic.benchmarks import synthetic_names
from lib.data.synthetic.coco import make_synthetic_coco
from lib.data.synthetic.trackingnet import make_synthetic_trackingnet

generator = load_script("make_synthetic_lasot")
count_dataset = load_script("count_dataset")
test_cli = load_script("test", "tracking")
pack = load_script("pack_submission", "tracking")

SMALL = ["--sequences", "2", "--frames", "8", "--size", "64x48", "--seed", "1"]


def _train_set(layout: str, root):
    from lib.data.coco.train_set import MSCOCOSeq
    from lib.data.folder.train_set import FolderDataset
    from lib.data.got10k.train_set import Got10k
    from lib.data.trackingnet.train_set import TrackingNet
    from lib.data.vid.train_set import ImagenetVID

    if layout == "got10k":  # a generated copy is a partial GOT-10k: its own split file
        (root / "split.txt").write_text("0\n1\n")
        return Got10k(root, "train_full", split_file=root / "split.txt", use_cache=False)
    readers = {"trackingnet": TrackingNet, "coco": MSCOCOSeq, "vid": ImagenetVID, "folder": FolderDataset}
    return readers[layout](root, use_cache=False)


@pytest.mark.parametrize("layout", ["got10k", "trackingnet", "coco", "vid", "folder"])
def test_each_training_layout_is_read_back(tmp_path, layout, capsys):
    assert generator.main(["--layout", layout, "--out", str(tmp_path), *SMALL]) == 0
    assert "wrote" in capsys.readouterr().out
    dataset = _train_set(layout, tmp_path)
    assert dataset.get_num_sequences() >= 2
    frames, anno, _ = dataset.get_frames(0, [0, 0])
    assert frames[0].shape[2] == 3 and anno["bbox"][0].shape == (4,)


@pytest.mark.parametrize("layout", ["tnl2k", "got10k_val", "trackingnet_test", "tc128", "otb",
                                    "lasot_extension_subset"])
def test_each_benchmark_layout_is_read_back(tmp_path, layout):
    assert generator.main(["--layout", layout, "--out", str(tmp_path), *SMALL]) == 0
    name = "trackingnet" if layout == "trackingnet_test" else layout
    benchmark = BENCHMARKS[name]
    first = synthetic_names(name, 2, seed=1)[0]
    sequence = benchmark.load_sequence(tmp_path, first, True)  # every frame file checked
    assert sequence.name == first and len(sequence) >= 8 and sequence.ground_truth.shape[1] == 4


def test_the_generator_refuses_what_does_not_apply(tmp_path, capsys):
    assert generator.main(["--layout", "coco", "--out", str(tmp_path), "--classes", "mouse"]) == 2
    assert "apply to --layout lasot only" in capsys.readouterr().err
    assert generator.main(["--out", str(tmp_path)]) == 2
    assert "needs --classes" in capsys.readouterr().err


def test_count_dataset_counts_each_dataset_of_a_mix(tmp_path, synthetic_lasot, capsys):
    tracking = make_synthetic_trackingnet(tmp_path / "tn", sets=(0,), sequences=3, frames=25, size=(48, 36),
                                          images=False)
    coco = make_synthetic_coco(tmp_path / "coco", images=4, size=(96, 72))
    args = ["--config", "seqtrack_tiny", "--datasets", "LASOT", "TRACKINGNET", "COCO17", "--lasot_dir",
            str(synthetic_lasot), "--dataset_dir", f"trackingnet={tracking}", "--dataset_dir", f"coco={coco}"]
    assert count_dataset.main(args) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1]
            and line.split()[0] in ("LASOT", "TRACKINGNET", "COCO17", "total")}
    assert rows["LASOT"][1:3] == ["32", "1,920"]  # 2 classes x 16 train sequences x 60 frames
    assert rows["TRACKINGNET"][1:3] == ["3", "75"] and rows["TRACKINGNET"][4] == "3"
    assert [rows[n][-1] for n in ("LASOT", "TRACKINGNET", "COCO17")] == ["2,133"] * 3  # 6,400 / 3 each
    assert "training frames: 1,920" in out  # LaSOT's per-class table follows
    assert count_dataset.main([*args, "--dataset_dir", f"coco={tmp_path / 'nowhere'}"]) == 2
    assert "COCO17" in capsys.readouterr().err


@pytest.mark.parametrize("benchmark,archive,entry", [
    ("got10k_test", "got10k_submit.zip", "{name}/{name}_001.txt"),
    ("trackingnet", "trackingnet_submit.zip", "{name}.txt"),
])
def test_tracking_a_server_benchmark_then_packing_it(tmp_path, benchmark, archive, entry, capsys):
    layout = "trackingnet_test" if benchmark == "trackingnet" else benchmark
    root = tmp_path / "data"
    assert generator.main(["--layout", layout, "--out", str(root), *SMALL]) == 0
    checkpoint = write_checkpoint(tmp_path / "ckpt.pth.tar")
    results = tmp_path / "results"
    assert test_cli.main(["seqtrack", "seqtrack_tiny", "--dataset_name", benchmark, "--dataset_dir", str(root),
                          "--checkpoint", str(checkpoint), "--results_dir", str(results), "--device", "cpu"]) == 0
    assert "pack_submission.py" in capsys.readouterr().out  # the next step is printed
    pack_args = ["--runs", "seqtrack/seqtrack_tiny", "--dataset_name", benchmark, "--dataset_dir", str(root),
                 "--results_dir", str(results)]
    assert pack.main(pack_args) == 0
    zip_path = results / "seqtrack" / "seqtrack_tiny" / archive
    names = synthetic_names(benchmark, 2, seed=1)
    with zipfile.ZipFile(zip_path) as packed:
        for name in names:
            lines = packed.read(entry.format(name=name)).decode().splitlines()
            assert len(lines) == 8 and all(len(line.split(",")) == 4 for line in lines)
    tag = BENCHMARKS[benchmark].result_tag
    (results / "seqtrack" / "seqtrack_tiny" / tag / f"{names[1]}.txt").unlink()
    assert pack.main(pack_args) == 2  # a sequence without results: nothing is packed
    assert names[1] in capsys.readouterr().err
