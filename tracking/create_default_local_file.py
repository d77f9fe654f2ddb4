"""Write local_settings.yaml: where this machine keeps every dataset, the outputs and the tracking results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.data.local_settings import LOCAL_SETTINGS_FILE, write_local_settings


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write local_settings.yaml at the repository root: a root for every dataset under <data_dir> "
                    "(lasot, got10k, trackingnet, coco, vid, folder, lasot_extension_subset, tnl2k, UAV123, nfs, "
                    "OTB2015, TC128; edit any of them), outputs under <save_dir>. $<KEY>_DIR (e.g. $LASOT_DIR) "
                    "and each tool's --lasot_dir / --dataset_dir still take precedence.",
        epilog="example:\n  python tracking/create_default_local_file.py --workspace_dir . --data_dir ./data "
               "--save_dir .", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace_dir", default=".", help="project workspace (default: %(default)s)")
    parser.add_argument("--data_dir", default="./data", help="folder holding lasot/, got10k/, ... (default: "
                                                             "%(default)s)")
    parser.add_argument("--save_dir", default=".", help="where outputs go (default: %(default)s)")
    args = parser.parse_args(argv)
    settings = write_local_settings(args.workspace_dir, args.data_dir, args.save_dir)
    print(f"wrote {LOCAL_SETTINGS_FILE}:")
    for key, value in settings.items():
        print(f"  {key}: {value}")
    if not Path(settings["lasot_dir"]).is_dir():
        print(f"note: {settings['lasot_dir']} does not exist yet; put LaSOT there (see data/README.md) or generate "
              "demo data with scripts/make_synthetic_lasot.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
