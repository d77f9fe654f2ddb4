"""Which datasets a run trains on, from the config's values: the one rule the training builder and the model card
share (``DATA.TRAIN.CLASSES`` with ``CLASSES_ONLY`` trains on those LaSOT classes alone, whatever the mix)."""

from __future__ import annotations

from collections.abc import Sequence


def training_mix(names: Sequence[str], ratios: Sequence[float], classes: Sequence[str],
                 classes_only: bool = True) -> list:
    """``[(DATASETS_NAME entry, ratio), ...]`` the run samples from."""
    mix = list(zip(names, ratios))
    if classes and classes_only and len(mix) > 1:
        return [("LASOT", 1)]
    return mix


def describe_mix(mix: Sequence[tuple], classes: Sequence[str], lasot_classes: int = 70) -> str:
    """``'LaSOT (mouse, electricfan)'`` or ``'LaSOT (all 70 classes) + GOT10K_vottrain + ... (ratios 1:1:1:1)'``."""
    parts = [f"LaSOT ({', '.join(classes) if classes else f'all {lasot_classes} classes'})" if name == "LASOT"
             else name for name, _ in mix]
    text = " + ".join(parts)
    if len(mix) > 1:
        text += " (ratios " + ":".join(f"{ratio:g}" for _, ratio in mix) + ")"
    return text
