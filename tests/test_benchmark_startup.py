"""benchmark_startup.py --quick: the report's fields, the generated COCO file, the data reused on a second run, a
bad --data_dir refused."""

from __future__ import annotations

import json
import math

import pytest
from e2e import load_script

benchmark = load_script("benchmark_startup")


def test_quick_benchmark_reports_every_dataset_and_reuses_its_data(tmp_path, capsys):
    data_dir, out = tmp_path / "data", tmp_path / "startup.json"
    assert benchmark.main(["--quick", "--data_dir", str(data_dir), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["quick"] is True and report["generate_s"] > 0
    got, trackingnet, coco = report["results"]
    assert got["dataset"] == "GOT10K_train_full" and got["sequences"] == benchmark.QUICK_SIZES[0]
    assert trackingnet["dataset"] == "TRACKINGNET"
    assert trackingnet["sequences"] == benchmark.QUICK_SIZES[1] * benchmark.QUICK_SIZES[2]
    for result in (got, trackingnet):
        assert result["frames"] >= 30 * result["sequences"]
    annotations = benchmark.QUICK_SIZES[4]
    assert coco["dataset"] == "COCO17" and 0 < benchmark.coco_crowds(annotations) < annotations // 50
    assert coco["sequences"] == coco["frames"] == annotations - benchmark.coco_crowds(annotations)  # crowds skipped
    for result in (got, trackingnet, coco):
        for key in ("cold_s", "warm_s", "sampler_s", "cache_mb"):
            assert isinstance(result[key], float) and math.isfinite(result[key]) and result[key] > 0, key
    printed = capsys.readouterr().out
    assert all(name in printed for name in ("GOT10K_train_full", "TRACKINGNET", "COCO17", "cold s"))
    assert not list(data_dir.glob("cache-*"))  # the benchmark's caches are removed

    assert benchmark.main(["--quick", "--data_dir", str(data_dir), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["generate_s"] == 0.0  # the data was reused


def test_generated_coco_has_the_real_files_structure(tmp_path):
    root = tmp_path / "coco"
    images, annotations = benchmark.QUICK_SIZES[3:5]
    benchmark.write_coco(root, images, annotations, benchmark._coco_header(images, annotations))
    assert (root / "images" / "train2017").is_dir() and not any((root / "images" / "train2017").iterdir())
    document = json.loads((root / "annotations" / "instances_train2017.json").read_text())
    assert len(document["images"]) == images and len(document["annotations"]) == annotations
    assert len(document["categories"]) == 80 and len({c["supercategory"] for c in document["categories"]}) == 12
    sizes = {image["id"]: (image["width"], image["height"]) for image in document["images"]}
    category_ids = {category["id"] for category in document["categories"]}
    assert len({ann["id"] for ann in document["annotations"]}) == annotations
    for ann in document["annotations"]:
        width, height = sizes[ann["image_id"]]
        x, y, w, h = ann["bbox"]
        assert ann["category_id"] in category_ids and 0 <= x and x + w <= width + 0.01 and y + h <= height + 0.01
        if ann["iscrowd"]:  # a run-length mask covering the box's pixels
            mask = ann["segmentation"]
            assert mask["size"] == [height, width] and sum(mask["counts"]) == width * height
            assert sum(mask["counts"][1::2]) == ann["area"] == w * h
        else:  # one polygon inside the box
            (polygon,) = ann["segmentation"]
            assert len(polygon) >= 8 and len(polygon) % 2 == 0 and 0 < ann["area"] <= w * h
            assert min(polygon[0::2]) >= x - 0.01 and max(polygon[0::2]) <= x + w + 0.01
    assert sum(ann["iscrowd"] for ann in document["annotations"]) == benchmark.coco_crowds(annotations)


def test_data_dir_holding_another_coco_exits_2(tmp_path, capsys):
    annotations = tmp_path / "coco" / "annotations"
    annotations.mkdir(parents=True)
    (annotations / "instances_train2017.json").write_text('{"info":{"description":"COCO 2017 Dataset"}}')
    assert benchmark.main(["--quick", "--data_dir", str(tmp_path)]) == 2
    assert "other COCO data" in capsys.readouterr().err
    assert not (tmp_path / "got10k").exists()  # refused before anything was written


def test_data_dir_holding_other_data_exits_2(tmp_path, capsys):
    (tmp_path / "got10k" / "train").mkdir(parents=True)
    (tmp_path / "got10k" / "train" / "list.txt").write_text("something else\n")
    assert benchmark.main(["--quick", "--data_dir", str(tmp_path)]) == 2
    assert "already lists other sequences" in capsys.readouterr().err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--help"])
    assert exit_info.value.code == 0 and "example:" in capsys.readouterr().out


def test_a_coco_of_this_benchmark_is_kept_when_current_and_rewritten_when_stale(tmp_path):
    root = tmp_path / "coco"
    benchmark.write_coco(root, 20, 60, benchmark._coco_header(20, 60))
    assert benchmark._coco_is_current(root, benchmark._coco_header(20, 60))
    assert not benchmark._coco_is_current(root, benchmark._coco_header(20, 61))  # other sizes: no error
