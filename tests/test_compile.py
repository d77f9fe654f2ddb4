"""TRAIN.COMPILE: the network is compiled in place, trains to the eager run's losses (up to float reordering),
and its checkpoints keep the eager parameter names, so they load anywhere."""

from __future__ import annotations

import pytest
import torch
from e2e import checkpoint, figures, paths, train

pytestmark = pytest.mark.skipif(not torch._dynamo.is_dynamo_supported(), reason="torch.compile unsupported here")


def test_compiled_training_matches_eager_and_checkpoints_keep_their_names(tmp_path, synthetic_lasot):
    runs = {}
    for compiled in (False, True):
        save_dir = tmp_path / ("compiled" if compiled else "eager")
        train(save_dir, synthetic_lasot, TRAIN__EPOCH=1, TRAIN__COMPILE=compiled, MODEL__DECODER__DROPOUT=0.0)
        runs[compiled] = save_dir
    log = paths(runs[True]).log_file.read_text()
    assert "TRAIN.COMPILE: compiling the network with torch.compile" in log
    eager, compiled = figures(runs[False], "interval"), figures(runs[True], "interval")
    assert eager.keys() == compiled.keys() and eager
    for key in eager:
        assert compiled[key]["loss"] == pytest.approx(eager[key]["loss"], rel=2e-3)
    eager_net = torch.load(checkpoint(runs[False], 1), weights_only=True)["net"]
    compiled_net = torch.load(checkpoint(runs[True], 1), weights_only=True)["net"]
    assert list(compiled_net) == list(eager_net)
    assert not any("_orig_mod" in key for key in compiled_net)
