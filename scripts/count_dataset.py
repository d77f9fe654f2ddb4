"""Count what a config trains on: per dataset (and per LaSOT class) sequences, frames, visible frames, the
sequences the sampler can draw from, and the samples per epoch each dataset gets."""

from __future__ import annotations

import argparse
import json
import sys

from lib.cli import EXIT_FAILED, fail
from lib.config.seqtrack.config import ConfigError, config_path, load_config
from lib.data.errors import DatasetError
from lib.data.lasot.train_set import count_lasot
from lib.data.local_settings import DATA_ROOTS, SettingsError, resolve_lasot_root

EXAMPLE = """example:
  python scripts/count_dataset.py                                   # the mix of seqtrack_b256
  python scripts/count_dataset.py --classes mouse electricfan --lasot_dir ./data/lasot
  python scripts/count_dataset.py --config seqtrack_b256_got --dataset_dir got10k=/data/GOT-10k
  python scripts/count_dataset.py --datasets LASOT TRACKINGNET --config seqtrack_tiny

Only annotation files are read (no frames); large datasets' annotations are cached
(lib/data/annotation_cache.py), so a second count is fast. Roots: --lasot_dir / --dataset_dir KEY=PATH, else
$<KEY>_DIR, else local_settings.yaml, else ./data/<folder>. "samplable" = sequences the sampler draws from
(videos with at least 20 frames and more than 2 x (templates + searches) visible ones; every COCO image).
Samples per epoch = DATA.TRAIN.SAMPLE_PER_EPOCH x the dataset's share of DATASETS_RATIO. For LaSOT the
per-class table also gives the test split and the figure users quote: train frames // frames per sample.
Exit codes: 0 done, 1 a missing or broken sequence, 2 bad input (missing root, unknown class, dataset or
config)."""


def _dataset_dir(text: str) -> tuple:
    key, _, path = text.partition("=")
    if not path or key not in DATA_ROOTS:
        raise argparse.ArgumentTypeError(f"expected KEY=PATH with KEY one of {', '.join(DATA_ROOTS)}, got {text!r}")
    return key, path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="seqtrack_b256",
                        help="experiment config (experiments/seqtrack/<name>.yaml) giving the mix, the classes and "
                             "the frames per sample (default: %(default)s)")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                        help="count these DATASETS_NAME entries (equal ratios) instead of the config's mix")
    parser.add_argument("--classes", nargs="+", default=None,
                        help="LaSOT classes to count alone (default: DATA.TRAIN.CLASSES of --config)")
    parser.add_argument("--lasot_dir", default=None, help="LaSOT root (default: $LASOT_DIR, local settings, "
                                                          "./data/lasot)")
    parser.add_argument("--dataset_dir", action="append", default=[], metavar="KEY=PATH", type=_dataset_dir,
                        help="root of another dataset, e.g. got10k=/data/GOT-10k; repeat for each")
    parser.add_argument("--opts", nargs="+", default=[], metavar="KEY VALUE",
                        help="config overrides as in tracking/train.py, e.g. --opts DATA.TRAIN.GOT10K_SPLIT_FILE "
                             "my_split.txt")
    return parser


def _config(args):
    overrides = {}
    if args.classes is not None:
        overrides["DATA.TRAIN.CLASSES"] = list(args.classes)
    if args.datasets is not None:  # these datasets, the LaSOT classes among them
        overrides["DATA.TRAIN.DATASETS_NAME"] = list(args.datasets)
        overrides["DATA.TRAIN.DATASETS_RATIO"] = [1] * len(args.datasets)
        overrides["DATA.TRAIN.CLASSES_ONLY"] = False
        if args.classes is None and "LASOT" not in args.datasets:
            overrides["DATA.TRAIN.CLASSES"] = []
    # --opts first, then what --datasets and --classes set (YAML reads the JSON form of each value)
    pairs = [item for key, value in overrides.items() for item in (key, json.dumps(value))]
    return load_config(config_path(args.config), [*args.opts, *pairs])


def format_dataset_table(rows: list) -> str:
    """One line per dataset: sequences, frames, visible frames, samplable sequences, ratio, samples per epoch."""
    header = (f"{'dataset':<20}{'sequences':>11}{'frames':>14}{'visible':>14}{'samplable':>11}{'share':>8}"
              f"{'samples/epoch':>15}")
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(f"{row['name']:<20}{row['sequences']:>11,}{row['frames']:>14,}{row['visible']:>14,}"
                     f"{row['samplable']:>11,}{row['share']:>8.1%}{row['samples']:>15,}")
    total = {key: sum(r[key] for r in rows) for key in ("sequences", "frames", "visible", "samplable", "samples")}
    lines += ["-" * len(header), f"{'total':<20}{total['sequences']:>11,}{total['frames']:>14,}{total['visible']:>14,}"
                                 f"{total['samplable']:>11,}{1:>8.0%}{total['samples']:>15,}"]
    return "\n".join(lines)


def format_table(counts: list, frames_per_sample: int) -> str:
    """The LaSOT per-class table, totals and samples per epoch, as printed."""
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


def _count_rows(cfg, roots: dict) -> list:
    from lib.train.data.builder import build_train_datasets, mixed_datasets
    from lib.train.data.sampler import MIN_SEQUENCE_FRAMES, frame_and_visible_counts

    mix = build_train_datasets(cfg, roots)
    ratio_sum = sum(ratio for _, ratio in mixed_datasets(cfg))
    needed = 2 * (cfg.DATA.TEMPLATE.NUMBER + cfg.DATA.SEARCH.NUMBER)
    rows = []
    for dataset, ratio in mix:
        frames, visible = frame_and_visible_counts(dataset)
        samplable = (len(frames) if not dataset.is_video
                     else int(((frames >= MIN_SEQUENCE_FRAMES) & (visible > needed)).sum()))
        share = ratio / ratio_sum
        rows.append({"name": dataset.name, "sequences": dataset.get_num_sequences(), "frames": int(frames.sum()),
                     "visible": int(visible.sum()), "samplable": samplable, "share": share,
                     "samples": round(cfg.DATA.TRAIN.SAMPLE_PER_EPOCH * share)})
    return rows


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    roots = dict(args.dataset_dir)
    if args.lasot_dir:
        roots["lasot"] = args.lasot_dir
    try:  # what the user chose: config, mix, classes
        cfg = _config(args)
        from lib.train.data.builder import check_mix_roots, mixed_datasets

        check_mix_roots(cfg, roots)
        lasot = any(name == "LASOT" for name, _ in mixed_datasets(cfg))
        lasot_root = resolve_lasot_root(roots.get("lasot"))
    except (ConfigError, SettingsError, DatasetError) as exc:
        return fail(exc)
    try:  # what is on disk
        rows = _count_rows(cfg, roots)
        counts = count_lasot(lasot_root, list(cfg.DATA.TRAIN.CLASSES)) if lasot else None
    except DatasetError as exc:
        return fail(exc, EXIT_FAILED)
    print(f"config {args.config}: {len(rows)} dataset(s), {cfg.DATA.TRAIN.SAMPLE_PER_EPOCH:,} samples per epoch")
    print(format_dataset_table(rows))
    if counts is not None:
        print(f"\nLaSOT root: {lasot_root}")
        print(format_table(counts, cfg.DATA.TEMPLATE.NUMBER + cfg.DATA.SEARCH.NUMBER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
