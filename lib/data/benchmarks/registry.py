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

from lib.data.benchmarks import got10k, lasot, nfs, otb, tc128, tnl2k, trackingnet, uav
from lib.data.errors import DatasetError
from lib.data.lasot.splits import check_root as check_lasot_root
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
        """``root`` if it is a folder, else an error saying where it should be and what it should hold."""
        if self.root_key == "lasot":
            return check_lasot_root(root)  # its message also shows how to get LaSOT classes or demo data
        return check_data_root(self.root_key, root, self.title, self.layout)


BENCHMARKS = {
    "lasot": Benchmark("lasot", "LaSOT", "lasot", lasot.LAYOUT, "lasot", "LASOT", True, lasot.list_lasot,
                       lasot.load_lasot),
    "lasot_extension_subset": Benchmark("lasot_extension_subset", "LaSOT_ext", "lasot_extension_subset",
                                        lasot.LAYOUT, "lasot_extension_subset", "LASOT_EXTENSION_SUBSET", True,
                                        lasot.list_extension, lasot.load_extension),
    "got10k_test": Benchmark("got10k_test", "GOT-10k test", "got10k", got10k.LAYOUT_TEST, "got10k", "GOT10K_TEST",
                             False, got10k.list_got10k_test, got10k.load_got10k_test),
    "got10k_val": Benchmark("got10k_val", "GOT-10k val", "got10k", got10k.LAYOUT_VAL, "got10k", "GOT10K_VAL", True,
                            got10k.list_got10k_val, got10k.load_got10k_val),
    "trackingnet": Benchmark("trackingnet", "TrackingNet", "trackingnet", trackingnet.LAYOUT, "trackingnet",
                             "TRACKINGNET", False, trackingnet.list_trackingnet, trackingnet.load_trackingnet),
    "tnl2k": Benchmark("tnl2k", "TNL2K", "tnl2k", tnl2k.LAYOUT, "tnl2k", "TNL2K", True, tnl2k.list_tnl2k,
                       tnl2k.load_tnl2k),
    "uav": Benchmark("uav", uav.TITLE, "uav", uav.LAYOUT, "uav", "UAV", True, uav.list_uav, uav.load_uav),
    "nfs": Benchmark("nfs", nfs.TITLE, "nfs", nfs.LAYOUT, "nfs", "NFS", True, nfs.list_nfs, nfs.load_nfs),
    "otb": Benchmark("otb", otb.TITLE, "otb", otb.LAYOUT, "otb", "OTB", True, otb.list_otb, otb.load_otb),
    # the original writes tc128 results straight into the config folder; here it gets its own, like the others
    "tc128": Benchmark("tc128", "TC128", "tc128", tc128.LAYOUT, "tc128", "TC128", True, tc128.list_tc128,
                       tc128.load_tc128),
}


def benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (as ``--dataset_name`` spells it)."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise DatasetError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}") from None
