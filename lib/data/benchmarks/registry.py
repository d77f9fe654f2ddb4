"""The benchmarks ``tracking/test.py --dataset_name`` accepts, under the original's names, and how each is read.

Each :class:`Benchmark` names its root (a key of :data:`lib.data.local_settings.DATA_ROOTS`), the results
subfolder the original writes it to, its key in the config's ``TEST.UPDATE_INTERVALS``, whether its ground
truth is public (GOT-10k test and TrackingNet are scored by their servers: :mod:`tracking.pack_submission`),
and its reader: ``list_sequences(root, classes) -> [name, ...]`` and
``load_sequence(root, name, check_frames) -> TestSequence``. The evaluation rules that differ between
benchmarks live with the metrics (:mod:`lib.test.evaluation.metrics`), keyed by the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lib.data.benchmarks import lasot
from lib.data.errors import DatasetError
from lib.data.local_settings import check_data_root


@dataclass(frozen=True)
class Benchmark:
    name: str  # --dataset_name: 'lasot', 'uav', ...
    title: str  # for people: 'LaSOT', 'UAV123'
    root_key: str  # key of DATA_ROOTS: where its root comes from
    layout: str  # what the root holds (for the error when it does not)
    result_tag: str  # results subfolder: <results_dir>/seqtrack/<config>/<result_tag>/
    config_key: str  # key of TEST.UPDATE_INTERVALS / UPDATE_THRESHOLD
    public_ground_truth: bool  # False: scored by the benchmark's server from a packed submission
    list_sequences: Callable  # (root, classes) -> [name, ...]
    load_sequence: Callable  # (root, name, check_frames) -> TestSequence

    def check_root(self, root: str | Path) -> Path:
        return check_data_root(self.root_key, root, self.title, self.layout)


BENCHMARKS = {
    "lasot": Benchmark("lasot", "LaSOT", "lasot", lasot.LAYOUT, "lasot", "LASOT", True, lasot.list_lasot,
                       lasot.load_lasot),
    "lasot_extension_subset": Benchmark("lasot_extension_subset", "LaSOT_ext", "lasot_extension_subset",
                                        lasot.LAYOUT, "lasot_extension_subset", "LASOT_EXTENSION_SUBSET", True,
                                        lasot.list_extension, lasot.load_extension),
}


def benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (as ``--dataset_name`` spells it)."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise DatasetError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}") from None
