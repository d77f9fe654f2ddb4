"""Checkpoints of the original SeqTrack code: safe reading, name mapping, tracking and fine-tuning from them.

The original-format files are built here: random weights under the original's names, plus pickled objects of
classes that exist only while the file is written (standing in for the original's settings and meters).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import uuid
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from configs import SCRATCH, tiny_config

from lib.checkpoint import original as oc
from lib.checkpoint import safe_unpickle
from lib.checkpoint.io import CheckpointError, checkpoint_name, save_atomic
from lib.checkpoint.paths import RunPaths
from lib.config.seqtrack.config import config_path, load_config
from lib.models.seqtrack import build_seqtrack, build_sequences
from lib.models.seqtrack.loading import load_network

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "seqtrack_b256_state_dict.txt"
TINY = "seqtrack_tiny"


# A module of classes this project does not have; it exists only while a test writes its pickle.
FOREIGN_SOURCE = '''
import pathlib
IMPORT_MARKER = None  # a test sets this path; importing the module again would touch it
if IMPORT_MARKER:
    pathlib.Path(IMPORT_MARKER).touch()


class Settings:
    """Stands in for the original's lib.train.admin.settings.Settings."""


class AverageMeter:
    def __init__(self):
        self.val, self.avg, self.sum, self.count = 0.0, 0.0, 0.0, 0


class EasyDict(dict):
    pass


def touch(path):
    pathlib.Path(path).touch()


class CallsTouch:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (touch, (self.path,))
'''


class _DirectoryFinder(importlib.abc.MetaPathFinder):
    """Makes the modules of one folder importable (as the original's code would be on its users' machines)."""

    def __init__(self, directory: Path):
        self.directory = str(directory)

    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.PathFinder.find_spec(name, [self.directory])


@contextlib.contextmanager
def importable(directory: Path):
    finder = _DirectoryFinder(directory)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        importlib.invalidate_caches()


@contextlib.contextmanager
def foreign_module(directory: Path, import_marker: Path | None = None):
    """Import a freshly written module; on exit it leaves sys.modules, and its file is rewritten so that any
    later import of it would touch ``import_marker`` (or deleted when there is none)."""
    name = f"original_seqtrack_admin_{uuid.uuid4().hex[:10]}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    path.write_text(FOREIGN_SOURCE)
    try:
        with importable(directory):
            yield importlib.import_module(name)
    finally:
        sys.modules.pop(name, None)
        if import_marker is None:
            path.unlink()
        else:  # a loader that imported it would run this
            path.write_text(FOREIGN_SOURCE.replace("IMPORT_MARKER = None", f"IMPORT_MARKER = {str(import_marker)!r}"))
        importlib.invalidate_caches()


MOUSE = {"DATA.TRAIN.CLASSES": ["mouse"]}


def random_weights(seed: int = 0) -> OrderedDict:
    torch.manual_seed(seed)
    return build_seqtrack(tiny_config(SCRATCH, MOUSE)).state_dict()


def original_state(net_state: dict, foreign, epoch: int = 500) -> dict:
    """A dict as the original's trainer writes it (names mapped to the original's)."""
    settings = foreign.Settings()
    settings.script_name, settings.config_name, settings.local_rank = "seqtrack", "seqtrack_b256", -1
    settings.device = torch.device("cuda:0")
    settings.cfg = foreign.EasyDict(MODEL=foreign.EasyDict(BINS=4000))
    meter = foreign.AverageMeter()
    meter.count = 3
    net = OrderedDict((oc.native_to_original_name(k), v) for k, v in net_state.items())
    params = [torch.nn.Parameter(v.clone()) for v in list(net_state.values())[:2]]
    optimizer = torch.optim.AdamW(params)
    for p in params:
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for p in params:
        optimizer.state[p]["step"] = torch.tensor(12345.0)
    return {"epoch": epoch, "actor_type": "SeqTrackActor", "net_type": "SEQTRACK", "net": net, "net_info": None,
            "constructor": None, "optimizer": optimizer.state_dict(),
            "stats": OrderedDict(train=OrderedDict({"Loss/total": meter})), "settings": settings}


def write_original(path: Path, net_state: dict, epoch: int = 500) -> Path:
    """An original-format checkpoint whose settings and meters are of classes that no longer exist anywhere."""
    with foreign_module(path.parent / f"foreign_{path.stem}") as foreign:
        torch.save(original_state(net_state, foreign, epoch), path)
    return path


@pytest.fixture(scope="module")
def tiny_weights() -> OrderedDict:
    return random_weights(seed=3)


@pytest.fixture(scope="module")
def original_file(tmp_path_factory, tiny_weights) -> Path:
    return write_original(tmp_path_factory.mktemp("original") / "SEQTRACK_ep0500.pth.tar", tiny_weights)


def write_native(path: Path, original: Path) -> Path:
    """The weights of an original-format file in our format, weights only (what convert_checkpoint writes)."""
    state, layout = oc.read_any_checkpoint(original)
    weights = oc.native_weights(state, layout, build_seqtrack(tiny_config(SCRATCH, MOUSE)), str(original))
    config = tiny_config(SCRATCH, MOUSE).to_dict()
    save_atomic(oc.weights_only_native_state(weights, state["epoch"], config, original.name), path)
    return path


def read_fixture() -> OrderedDict:
    shapes = OrderedDict()
    for line in FIXTURE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, shape = line.split("\t")
            shapes[name] = tuple(int(v) for v in shape.strip("()").split(",") if v.strip())
    return shapes


def meta_network(config_name: str) -> torch.nn.Module:
    cfg = load_config(config_path(config_name), {"MODEL.ENCODER.PRETRAIN_TYPE": "scratch"})
    with torch.device("meta"):
        return build_seqtrack(cfg)


# ------------------------------------------------------------------------------------------ safe reading
class _RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Evaluates:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


class _Subprocess:
    def __init__(self, argv):
        self.argv = argv

    def __reduce__(self):
        return (subprocess.call, (self.argv,))


def test_the_shell_payload_is_live_under_plain_pickle(tmp_path):
    """Control: the payload below really runs when unpickled the ordinary way."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_RunsShell(f"touch {marker}")))
    assert marker.exists()


@pytest.mark.parametrize("payload, named", [
    (lambda m: _RunsShell(f"touch {m}"), f"{os.system.__module__}.system"),
    (lambda m: _Evaluates(f"__import__('pathlib').Path({str(m)!r}).touch()"), "builtins.eval"),
    (lambda m: _Subprocess(["touch", str(m)]), "subprocess.call"),
])
def test_dangerous_pickles_are_refused_and_nothing_runs(tmp_path, tiny_weights, payload, named):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth.tar"
    torch.save({"epoch": 1, "net_type": "SEQTRACK", "net": tiny_weights, "settings": payload(marker)}, path)
    with pytest.raises(CheckpointError, match="refusing to load") as error:
        oc.read_any_checkpoint(path)
    assert named in str(error.value)
    with pytest.raises(CheckpointError, match=named.replace(".", r"\.")):
        load_network(path, TINY)
    assert not marker.exists()


def test_a_call_of_an_unknown_function_is_refused_and_its_module_never_imported(tmp_path, tiny_weights):
    touched, imported = tmp_path / "touched", tmp_path / "imported"
    path = tmp_path / "calls.pth.tar"
    with foreign_module(tmp_path / "foreign", import_marker=imported) as foreign:
        torch.save({"net_type": "SEQTRACK", "net": tiny_weights, "stats": foreign.CallsTouch(str(touched))}, path)
        name = foreign.__name__
    try:
        with pytest.raises(CheckpointError, match=rf"calls {name}\.touch\(\.\.\.\)"):
            oc.read_original_checkpoint(path)
        assert not touched.exists() and not imported.exists()
        with importable(tmp_path / "foreign"):  # the control: importing the module would leave the marker
            importlib.import_module(name)
        assert imported.exists()
    finally:
        sys.modules.pop(name, None)


def test_objects_of_unknown_classes_load_as_inert_placeholders(original_file, tiny_weights):
    state = oc.safe_torch_load(original_file)
    settings = state["settings"]
    assert isinstance(settings, safe_unpickle.Placeholder)
    assert settings.pickled_module.startswith("original_seqtrack_admin_") and settings.pickled_name == "Settings"
    assert settings.pickled_state["config_name"] == "seqtrack_b256"
    assert settings.pickled_state["device"] == torch.device("cuda:0")  # allowlisted: rebuilt for real
    assert settings.pickled_state["cfg"].pickled_items["MODEL"].pickled_items == {"BINS": 4000}
    assert state["stats"]["train"]["Loss/total"].pickled_state["count"] == 3
    assert state["optimizer"]["state"][0]["step"] == 12345
    assert all(torch.equal(state["net"][k], v) for k, v in tiny_weights.items())
    with pytest.raises(safe_unpickle.RefusedPickleError, match="Settings"):
        type(settings)()  # constructing one by a call is what REDUCE would do: refused
    with pytest.raises(pickle.UnpicklingError):  # why the safe reader exists at all
        torch.load(original_file, weights_only=True)


def test_legacy_torch_serialization_is_read_too(tmp_path, tiny_weights):
    path = tmp_path / "legacy.pth.tar"
    with foreign_module(tmp_path / "foreign") as foreign:
        torch.save(original_state(tiny_weights, foreign, epoch=7), path, _use_new_zipfile_serialization=False)
    state, layout = oc.read_any_checkpoint(path)
    assert layout == oc.LAYOUT_ORIGINAL and state["epoch"] == 7
    assert all(torch.equal(state["net"][k], v) for k, v in tiny_weights.items())


def test_neither_format_keeps_this_projects_message(tmp_path):
    path = tmp_path / "garbage.pth.tar"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="truncated, corrupted or not a checkpoint"):
        oc.read_any_checkpoint(path)
    torch.save({"net_type": "OTHER", "net": {}}, path)
    with pytest.raises(CheckpointError, match="is not a SeqTrack checkpoint"):
        oc.read_any_checkpoint(path)


# ------------------------------------------------------------------------------------------------ names
def test_b256_names_and_shapes_are_the_originals():
    expected = read_fixture()
    assert len(expected) == 200 and sum(torch.Size(s).numel() for s in expected.values()) == 90_596_002
    ours = meta_network("seqtrack_b256").state_dict()
    original = oc.native_to_original(ours, oc.expected_shapes(meta_network("seqtrack_b256")))
    assert [(k, tuple(v.shape)) for k, v in original.items()] == list(expected.items())
    from_file = OrderedDict((k, torch.empty(s, device="meta")) for k, s in expected.items())
    mapped = oc.original_to_native(from_file, oc.expected_shapes(meta_network("seqtrack_b256")))
    assert list(mapped) == list(ours)


def test_mapping_errors_name_every_missing_unexpected_and_misshaped_key(tiny_weights):
    expected = oc.expected_shapes(build_seqtrack(tiny_config(SCRATCH, MOUSE)))
    network_shape = expected["pos_embed"]  # (1, positions, C)
    wrong_shape = (1, network_shape[1] + 1, network_shape[2])  # one position too many
    broken = OrderedDict(tiny_weights)
    del broken["bottleneck.bias"]
    broken["decoder.extra.weight"] = torch.zeros(3)
    broken["pos_embed"] = torch.zeros(wrong_shape)
    broken["vocab_embed.layers.0.bias"] = [0.0] * 128
    with pytest.raises(CheckpointError) as error:
        oc.original_to_native(broken, expected, "f.pth.tar")
    message = str(error.value)
    for text in ("missing keys (1): bottleneck.bias", "unexpected keys (1): decoder.extra.weight",
                 "values that are not tensors (1): vocab_embed.layers.0.bias",
                 f"pos_embed {wrong_shape} vs {network_shape}"):
        assert text in message
    assert oc.original_to_native(tiny_weights, expected).keys() == tiny_weights.keys()


def test_renames_live_in_one_table_and_clashes_are_errors(monkeypatch, tiny_weights):
    monkeypatch.setattr(oc, "_RENAMES", (("head.", "vocab_embed."),))
    assert oc.original_to_native_name("head.layers.2.weight") == "vocab_embed.layers.2.weight"
    assert oc.native_to_original_name("vocab_embed.layers.2.weight") == "head.layers.2.weight"
    expected = oc.expected_shapes(build_seqtrack(tiny_config(SCRATCH, MOUSE)))
    original = oc.native_to_original(tiny_weights, expected)
    assert "head.layers.0.weight" in original and not any(k.startswith("vocab_embed.") for k in original)
    assert list(oc.original_to_native(original, expected)) == list(tiny_weights)
    original["vocab_embed.layers.0.weight"] = original["head.layers.0.weight"]  # both land on one of ours
    with pytest.raises(CheckpointError, match=r"head\.layers\.0\.weight and vocab_embed\.layers\.0\.weight"):
        oc.original_to_native(original, expected)


def test_a_ddp_prefix_is_dropped(tiny_weights):
    expected = oc.expected_shapes(build_seqtrack(tiny_config(SCRATCH, MOUSE)))
    prefixed = OrderedDict((f"module.{k}", v) for k, v in tiny_weights.items())
    assert list(oc.original_to_native(prefixed, expected)) == list(tiny_weights)


# --------------------------------------------------------------------------------- same weights, same answer
def fixed_input(seed: int = 0) -> tuple:
    """Templates, a search crop and the teacher-forced tokens of one box, in the tiny config's sizes."""
    cfg = tiny_config(SCRATCH, MOUSE)
    data, bins = cfg.DATA, cfg.MODEL.BINS
    generator = torch.Generator().manual_seed(seed)
    template_size, search_size = data.TEMPLATE.SIZE, data.SEARCH.SIZE
    # [T, B, 3, H, W]
    templates = torch.randn(data.TEMPLATE.NUMBER, 1, 3, template_size, template_size, generator=generator)
    search = torch.randn(1, 1, 3, search_size, search_size, generator=generator)
    tokens, _ = build_sequences(torch.tensor([[0.12, 0.4, 0.77, 0.05]]), bins)  # [START, c0..c3]
    return templates, search, tokens


def test_original_file_gives_the_logits_of_its_weights(original_file, tiny_weights, tmp_path):
    from_original = load_network(original_file, TINY)
    assert from_original.epoch == 500
    native = write_native(tmp_path / "native.pth.tar", original_file)
    from_native = load_network(native, TINY)
    reference = build_seqtrack(tiny_config(SCRATCH, MOUSE))
    reference.load_state_dict(tiny_weights)
    reference.eval()
    with torch.no_grad():
        expected = reference(*fixed_input())
        assert torch.equal(from_original.net(*fixed_input()), expected)
        assert torch.equal(from_native.net(*fixed_input()), expected)
        assert not torch.equal(build_seqtrack(tiny_config(SCRATCH, MOUSE)).eval()(*fixed_input()), expected)  # control


# ------------------------------------------------------------------------------------------- end to end
def _tracking_script(name: str):
    spec = importlib.util.spec_from_file_location(f"tracking_{name}_oc", REPO_ROOT / "tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FRAMES = 5
TEST_SEQUENCES = {"mouse": (1, 8, 9, 17), "electricfan": (1, 10, 18, 20)}  # LaSOT's test split of the two


@pytest.fixture(scope="module")
def small_lasot(tmp_path_factory) -> Path:
    from lib.data.synthetic.lasot import make_synthetic_lasot

    root = tmp_path_factory.mktemp("lasot_oc")
    return make_synthetic_lasot(root, ["mouse", "electricfan"], sequences=20, frames=FRAMES, size=(96, 72), seed=4,
                                workers=1)


def test_tracker_runs_end_to_end_from_an_original_checkpoint(original_file, small_lasot, tmp_path, capsys):
    """tracking/test.py on every test sequence of the YAML's classes (the file has no config), then the
    converted native file on one of them: the same weights track the same boxes."""
    test_cli = _tracking_script("test")
    native = write_native(tmp_path / "native.pth.tar", original_file)
    results = {}
    for name, checkpoint, extra in (("original", original_file, []), ("native", native, ["--sequence", "mouse-8"])):
        out = tmp_path / name
        args = ["seqtrack", TINY, "--checkpoint", str(checkpoint), "--lasot_dir", str(small_lasot),
                "--results_dir", str(out), "--device", "cpu", *extra]
        assert test_cli.main(args) == 0, capsys.readouterr().err
        folder = out / "seqtrack" / TINY / "lasot"
        results[name] = {p.name: p.read_text() for p in folder.glob("*.txt") if "_time" not in p.name}
        assert json.loads((folder / "run_info.json").read_text())["epoch"] == 500
    assert sorted(results["original"]) == sorted(f"{c}-{n}.txt" for c, numbers in TEST_SEQUENCES.items()
                                                 for n in numbers)
    assert all(len(text.splitlines()) == FRAMES for text in results["original"].values())
    assert results["native"]["mouse-8.txt"] == results["original"]["mouse-8.txt"]


FAST = ["DATA.TRAIN.SAMPLE_PER_EPOCH", "16", "TRAIN.BATCH_SIZE", "8", "TRAIN.EPOCH", "1", "TRAIN.NUM_WORKER", "0",
        "DATA.TRAIN.CLASSES", "[mouse]", "TRAIN.LOG_INTERVAL_SAMPLES", "8"]


class FirstForward:
    """Wraps build_seqtrack in run_training: the net it built (and whether with MAE weights), its weights and
    inputs at its first forward."""

    def __init__(self, monkeypatch):
        import lib.train.run_training as run_training

        self.net = self.weights = self.inputs = self.load_pretrained = None
        original_build = run_training.build_seqtrack

        def build(cfg, load_pretrained=True):
            self.load_pretrained = load_pretrained
            self.net = original_build(cfg, load_pretrained=load_pretrained)
            self.net.register_forward_pre_hook(self._capture)
            return self.net

        monkeypatch.setattr(run_training, "build_seqtrack", build)

    def _capture(self, module, inputs):
        if self.weights is None:
            self.weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
            self.inputs = tuple(x.detach().clone() for x in inputs)


def test_init_fine_tunes_from_an_original_checkpoint(original_file, tiny_weights, synthetic_lasot, tmp_path,
                                                     monkeypatch):
    first = FirstForward(monkeypatch)
    train_cli = _tracking_script("train")
    save_dir = tmp_path / "run"
    assert train_cli.main(["--config", TINY, "--save_dir", str(save_dir), "--lasot_dir", str(synthetic_lasot),
                           "--init", str(original_file), "--opts", *FAST]) == 0
    assert first.load_pretrained is False  # MAE weights would be overwritten at once: not read
    assert first.weights.keys() == tiny_weights.keys()
    assert all(torch.equal(first.weights[k], v) for k, v in tiny_weights.items())
    loaded = load_network(original_file, TINY).net  # the first forward is the loaded model's
    replay = build_seqtrack(tiny_config(SCRATCH, MOUSE))
    replay.load_state_dict(first.weights)
    with torch.no_grad():
        assert torch.equal(replay.eval()(*first.inputs), loaded(*first.inputs))
    paths = RunPaths(save_dir, TINY)
    assert sorted(p.name for p in paths.checkpoint_dir.iterdir()) == [".run.lock", checkpoint_name(1)]
    state = torch.load(paths.checkpoint_dir / checkpoint_name(1), map_location="cpu", weights_only=True)
    assert state["epoch"] == 1 and state["global_step"] == 2  # epoch 1 of this run, 2 batches of 8
    steps = {float(s["step"]) for s in state["optimizer"]["state"].values()}
    assert steps == {2.0}  # a fresh optimizer, not the file's (step 12345)
    assert state["config"]["MODEL"]["INIT_CHECKPOINT"] == str(original_file)
    assert any(not torch.equal(state["net"][k], v) for k, v in tiny_weights.items())  # it trained


def test_resume_takes_precedence_over_init(original_file, tiny_weights, synthetic_lasot, tmp_path, monkeypatch):
    """The same fine-tuning command run again with --resume auto: the first run (nothing to resume) starts from
    the --init file; the second resumes from the first's checkpoint, with its weights, not the file's."""
    train_cli = _tracking_script("train")
    save_dir = tmp_path / "run"
    command = ["--config", TINY, "--save_dir", str(save_dir), "--lasot_dir", str(synthetic_lasot),
               "--init", str(original_file), "--resume", "auto", "--opts", *FAST]
    paths = RunPaths(save_dir, TINY)
    assert train_cli.main(command) == 0
    log = paths.log_file.read_text()
    assert "no valid checkpoint" in log and f"Fine-tuning from {original_file}" in log and "is ignored" not in log
    resumed = torch.load(paths.checkpoint_dir / checkpoint_name(1), map_location="cpu", weights_only=True)["net"]
    assert any(not torch.equal(resumed[k], v) for k, v in tiny_weights.items())  # control: they can be told apart

    first = FirstForward(monkeypatch)
    assert train_cli.main(command + ["TRAIN.EPOCH", "2"]) == 0
    second_log = paths.log_file.read_text()[len(log):]
    assert f"MODEL.INIT_CHECKPOINT {original_file} is ignored: the run resumes" in second_log
    assert "Fine-tuning from" not in second_log
    assert first.load_pretrained is False
    assert first.weights.keys() == resumed.keys()
    assert all(torch.equal(first.weights[k], v) for k, v in resumed.items())  # the resumed run's weights
    state = torch.load(paths.checkpoint_dir / checkpoint_name(2), map_location="cpu", weights_only=True)
    assert state["epoch"] == 2 and state["global_step"] == 4  # epoch 2 follows epoch 1's 2 batches


def test_resume_refuses_weights_only_and_original_files_with_a_pointer_to_init(original_file, synthetic_lasot,
                                                                                tmp_path, capsys):
    train_cli = _tracking_script("train")
    native = write_native(tmp_path / "native.pth.tar", original_file)
    for checkpoint, says in ((native, "holds weights only"), (original_file, "checkpoint of the original SeqTrack")):
        assert train_cli.main(["--config", TINY, "--save_dir", str(tmp_path / "run"), "--lasot_dir",
                               str(synthetic_lasot), "--resume", str(checkpoint), "--opts", *FAST]) == 2
        err = capsys.readouterr().err
        assert says in err and f"--init {checkpoint}" in err and "Traceback" not in err
