"""Where a training run writes, in the original's layout under ``--save_dir``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    """The files and folders of one run (``save_dir``, config, script)."""

    save_dir: Path
    config_name: str
    script_name: str = "seqtrack"

    @property
    def checkpoint_dir(self) -> Path:
        return self.save_dir / "checkpoints" / "train" / self.script_name / self.config_name

    @property
    def log_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.log"

    @property
    def metrics_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.metrics.jsonl"

    @property
    def curves_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.curves.png"

    @property
    def tensorboard_dir(self) -> Path:
        return self.save_dir / "tensorboard" / "train" / self.script_name / self.config_name
