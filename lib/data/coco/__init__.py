"""COCO 2017 object annotations read as one-frame training sequences (the original's COCO17 dataset)."""
