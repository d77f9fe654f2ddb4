"""Track one target through a video file or a folder of frames; write the boxes and an annotated video."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from lib.cli import fail

EXAMPLES = """examples:
  python tracking/video_demo.py seqtrack seqtrack_tiny ./data/lasot/mouse/mouse-1 --epoch 6
  python tracking/video_demo.py seqtrack seqtrack_b256 ./my_video.mp4 --init_box 120,80,60,40
  python tracking/video_demo.py seqtrack seqtrack_tiny ./frames --init_box 10,20,30,40 --save_frames

input: a video file (OpenCV reads it; --init_box required), a LaSOT sequence folder (img/ and
groundtruth.txt: the first line initialises), or a folder of .jpg/.png frames (sorted by name; with
--init_box, or a groundtruth.txt beside or above it).

outputs (in --out, default <save_dir>/video_demo/<input name>):
  boxes.txt       x<TAB>y<TAB>w<TAB>h per frame (pixels), line 1 = the initial box
  annotated.mp4   the frames with the tracked box (green; ground truth in blue when known), mp4v codec
  frames/         with --save_frames: annotated JPEGs instead of the video

exit codes: 0 done, 2 bad input (video that cannot be opened, no frames, no initial box, checkpoint)
"""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class InputError(ValueError):
    """A video or frame folder that cannot be used, with the reason."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracker_name", choices=["seqtrack"], help="tracker (only seqtrack)")
    parser.add_argument("tracker_param", help="config name, e.g. seqtrack_b256")
    parser.add_argument("input", help="video file, LaSOT sequence folder, or folder of frames")
    parser.add_argument("--init_box", default=None, metavar="X,Y,W,H",
                        help="initial box in pixels of the first frame (default: first line of groundtruth.txt)")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint (instead of --epoch): a file, hf://<user>/<repo>[@revision] (its latest "
                             "inference weights) or an hf:// file")
    parser.add_argument("--epoch", type=int, default=None, help="epoch of the run's checkpoint (default: TEST.EPOCH)")
    parser.add_argument("--save_dir", default="./output", help="the training run's --save_dir (default: %(default)s)")
    parser.add_argument("--out", default=None, help="output folder (default: <save_dir>/video_demo/<input name>)")
    parser.add_argument("--save_frames", action="store_true", help="write annotated JPEG frames instead of a video")
    parser.add_argument("--fps", type=float, default=None,
                        help="frame rate of the annotated video (default: the input's, 30 for frame folders)")
    parser.add_argument("--max_frames", type=int, default=None, help="stop after this many frames")
    parser.add_argument("--dataset_name", default="lasot",
                        help="whose TEST.UPDATE_INTERVALS / UPDATE_THRESHOLD to use (default: %(default)s)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--amp", action="store_true",
                        help="track in bf16 (autocast) where the device computes it natively (CUDA; CPUs with "
                             "AVX512-BF16, AMX or Arm BF16); default fp32")
    return parser


def parse_box(text: str) -> list:
    """``'x,y,w,h'`` -> four floats with a positive width and height."""
    try:
        box = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        box = []
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        raise InputError(f"--init_box expects x,y,w,h with a positive width and height, got {text!r}")
    return box


def _folder_frames(folder: Path) -> tuple:
    """(sorted frame paths, ground-truth file or None) of a sequence folder or a plain frame folder."""
    image_dir = folder / "img" if (folder / "img").is_dir() else folder
    frames = sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not frames:
        raise InputError(f"no .jpg/.png frames in {image_dir}")
    for candidate in (folder / "groundtruth.txt", image_dir.parent / "groundtruth.txt"):
        if candidate.is_file():
            return frames, candidate
    return frames, None


def _video_frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def open_input(path: str, init_box: str | None) -> tuple:
    """``(frames iterator (RGB), initial box, ground truth (N, 4) or None, frame rate or None)``."""
    source = Path(path)
    if source.is_dir():
        from lib.data.frames import decode_frame
        from lib.data.lasot.annotations import read_groundtruth

        frames, gt_file = _folder_frames(source)
        ground_truth = read_groundtruth(gt_file) if gt_file is not None else None
        if init_box is None and ground_truth is None:
            raise InputError(f"{source} has no groundtruth.txt: give the first frame's box with --init_box x,y,w,h")
        box = parse_box(init_box) if init_box is not None else [float(v) for v in ground_truth[0]]
        return (decode_frame(p) for p in frames), box, ground_truth, None
    capture = cv2.VideoCapture(str(source))
    if not source.is_file() or not capture.isOpened():
        capture.release()
        reason = "does not exist" if not source.exists() else "cannot be opened as a video by OpenCV"
        raise InputError(f"video {source} {reason}")
    if init_box is None:
        capture.release()
        raise InputError("a video needs the first frame's box: --init_box x,y,w,h")
    fps = capture.get(cv2.CAP_PROP_FPS)
    return _video_frames(capture), parse_box(init_box), None, fps if fps and fps > 0 else None


def draw(image_rgb: np.ndarray, box, gt_box=None, label: str = "") -> np.ndarray:
    """A BGR copy of the frame with the tracked box (green), the ground truth (blue) and a label."""
    canvas = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    if gt_box is not None and gt_box[2] > 0 and gt_box[3] > 0:
        x, y, w, h = (int(round(v)) for v in gt_box)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), (255, 0, 0), 1)
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(canvas, (x, y), (x + w, y + h), (0, 255, 0), 2)
    if label:
        cv2.putText(canvas, label, (5, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
    return canvas


class AnnotatedOutput:
    """Annotated frames go to ``annotated.mp4`` (mp4v) or, with ``as_frames``, to ``frames/%08d.jpg``."""

    def __init__(self, out_dir: Path, as_frames: bool, fps: float):
        self.out_dir, self.as_frames, self.fps = out_dir, as_frames, fps
        self.writer = None
        self.count = 0
        if as_frames:
            (out_dir / "frames").mkdir(parents=True, exist_ok=True)

    def write(self, canvas_bgr: np.ndarray) -> None:
        self.count += 1
        if self.as_frames:
            cv2.imwrite(str(self.out_dir / "frames" / f"{self.count:08d}.jpg"), canvas_bgr)
            return
        if self.writer is None:
            height, width = canvas_bgr.shape[:2]
            path = self.out_dir / "annotated.mp4"
            self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (width, height))
            if not self.writer.isOpened():
                raise InputError(f"OpenCV cannot write {path} with the mp4v codec; use --save_frames")
        self.writer.write(canvas_bgr)

    def close(self) -> str:
        if self.writer is not None:
            self.writer.release()
        return str(self.out_dir / ("frames" if self.as_frames else "annotated.mp4"))


def run_demo(tracker, frames: Iterator[np.ndarray], init_box: list, ground_truth, output: AnnotatedOutput,
             max_frames: int | None = None) -> np.ndarray:
    """Track through ``frames``, writing each annotated frame -> boxes (N, 4) xywh."""
    boxes = []
    for index, image in enumerate(frames):
        if max_frames is not None and index >= max_frames:
            break
        if index == 0:
            tracker.initialize(image, init_box)
            box, label = list(init_box), "frame 1 (initial box)"
        else:
            box, confidence = tracker.track(image)
            label = f"frame {index + 1}  confidence {confidence:.2f}"
        gt_box = ground_truth[index] if ground_truth is not None and index < len(ground_truth) else None
        output.write(draw(image, box, gt_box, label))
        boxes.append(box)
    if not boxes:
        raise InputError("the input holds no frame")
    return np.asarray(boxes, dtype=np.float64)


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lib.checkpoint.io import CheckpointError
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError
    from lib.models.seqtrack.loading import load_network
    from lib.test.evaluation.running import resolve_checkpoint
    from lib.test.tracker.seqtrack import SeqTrackTracker
    from lib.utils.device import resolve_device
    from lib.utils.logging_setup import setup_logging
    from lib.utils.precision import resolve_precision

    setup_logging()
    try:
        frames, init_box, ground_truth, fps = open_input(args.input, args.init_box)
        device = resolve_device(args.device)
        checkpoint = resolve_checkpoint(args.tracker_param, args.checkpoint, args.epoch, args.save_dir)
        loaded = load_network(checkpoint, args.tracker_param, device)
        precision = resolve_precision(args.amp or bool(loaded.cfg.TEST.AMP), device, "--amp")
        tracker = SeqTrackTracker(loaded.net, loaded.cfg, device, args.dataset_name.upper(), precision=precision)
        out_dir = Path(args.out) if args.out else Path(args.save_dir) / "video_demo" / Path(args.input).stem
        out_dir.mkdir(parents=True, exist_ok=True)
        output = AnnotatedOutput(out_dir, args.save_frames, args.fps or fps or 30.0)
        try:
            boxes = run_demo(tracker, frames, init_box, ground_truth, output, args.max_frames)
        finally:
            written = output.close()
    except (InputError, ConfigError, CheckpointError, DatasetError) as exc:
        return fail(exc)
    np.savetxt(out_dir / "boxes.txt", boxes, fmt="%.3f", delimiter="\t")
    print(f"tracked {len(boxes)} frames in {precision.name}: boxes in {out_dir / 'boxes.txt'}, annotated output in "
          f"{written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
