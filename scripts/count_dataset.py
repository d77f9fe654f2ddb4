"""Count LaSOT sequences and frames of the chosen classes (official split) and the samples per epoch users quote."""

from __future__ import annotations

import argparse
import sys

from lib.cli import EXIT_FAILED, fail
from lib.config.seqtrack.config import ConfigError, config_path, load_config
from lib.data.errors import DatasetError
from lib.data.lasot.splits import check_class_dirs, check_classes, check_root
from lib.data.lasot.train_set import count_lasot
from lib.data.local_settings import SettingsError, resolve_lasot_root

EXAMPLE = """example:
  python scripts/count_dataset.py                                   # classes of seqtrack_b256 ([] = all 70)
  python scripts/count_dataset.py --classes mouse electricfan --lasot_dir ./data/lasot
  python scripts/count_dataset.py --config seqtrack_tiny

Only groundtruth.txt files are read (no frames). The LaSOT root: --lasot_dir, else $LASOT_DIR, else
local_settings.yaml, else ./data/lasot. Samples per epoch = train frames // frames per sample
(templates + search frames of the config: 2 + 1 = 3).
Exit codes: 0 done, 1 a missing or broken sequence, 2 bad input (missing root or class folder, unknown class
or config)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lasot_dir", default=None, help="LaSOT root (default: $LASOT_DIR, local settings, "
                                                          "./data/lasot)")
    parser.add_argument("--classes", nargs="+", default=None,
                        help="classes to count (default: DATA.TRAIN.CLASSES of --config; empty there = all 70)")
    parser.add_argument("--config", default="seqtrack_b256",
                        help="experiment config (experiments/seqtrack/<name>.yaml) giving the classes and the "
                             "frames per sample (default: %(default)s)")
    return parser


def format_table(counts: list, frames_per_sample: int) -> str:
    """The per-class table, totals and samples per epoch, as printed."""
    header = f"{'class':<16}{'train seqs':>11}{'train frames':>14}{'test seqs':>11}{'test frames':>13}"
    lines = [header, "-" * len(header)]
    for c in counts:
        lines.append(f"{c.name:<16}{c.train_sequences:>11,}{c.train_frames:>14,}{c.test_sequences:>11,}"
                     f"{c.test_frames:>13,}")
    totals = [sum(getattr(c, key) for c in counts)
              for key in ("train_sequences", "train_frames", "test_sequences", "test_frames")]
    lines += ["-" * len(header), f"{'total':<16}{totals[0]:>11,}{totals[1]:>14,}{totals[2]:>11,}{totals[3]:>13,}",
              "",
              f"training frames: {totals[1]:,}; samples per epoch = {totals[1]:,} // {frames_per_sample} "
              f"= {totals[1] // frames_per_sample:,}"]
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:  # what the user chose: config, root, classes
        cfg = load_config(config_path(args.config))
        root = check_root(resolve_lasot_root(args.lasot_dir))
        classes = check_classes(args.classes if args.classes is not None else list(cfg.DATA.TRAIN.CLASSES))
        check_class_dirs(root, classes)
    except (ConfigError, SettingsError, DatasetError) as exc:
        return fail(exc)
    try:  # what is on disk
        counts = count_lasot(root, classes)
    except DatasetError as exc:
        return fail(exc, EXIT_FAILED)
    frames_per_sample = cfg.DATA.TEMPLATE.NUMBER + cfg.DATA.SEARCH.NUMBER
    print(f"LaSOT root: {root}")
    print(format_table(counts, frames_per_sample))
    return 0


if __name__ == "__main__":
    sys.exit(main())
