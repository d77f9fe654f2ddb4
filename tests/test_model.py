"""Tests of the SeqTrack network: original parameter layout, shapes, causality, greedy inference, MAE loading."""

import logging
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from configs import UNIT_ARCH, tiny_config

from lib.config.seqtrack.config import config_path, load_config
from lib.models.seqtrack import build_seqtrack, encoder_parameters, non_encoder_parameters
from lib.models.seqtrack.decoder import DecoderLayer, MultiheadAttention
from lib.models.seqtrack.errors import ModelConfigError
from lib.models.seqtrack.pretrained import PretrainedWeightsError
from lib.models.seqtrack.seqtrack import sinusoid_table
from lib.models.seqtrack.vit import VisionTransformer

FIXTURES = Path(__file__).parent / "fixtures"





def tiny_model(seed=0, **overrides):
    torch.manual_seed(seed)
    return build_seqtrack(tiny_config(UNIT_ARCH, **overrides))


def tiny_images(batch, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(2, batch, 3, 64, 64, generator=generator), torch.randn(1, batch, 3, 64, 64, generator=generator)


def read_fixture_state_dict():
    rows = []
    for line in (FIXTURES / "seqtrack_b256_state_dict.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split("\t")
            rows.append((key, tuple(int(d) for d in shape.strip("()").split(",") if d.strip())))
    return rows


# ------------------------------------------------------------------------------------ original layout
def test_b256_state_dict_matches_the_original_key_for_key():
    with torch.device("meta"):
        model = build_seqtrack(load_config(config_path("seqtrack_b256")), load_pretrained=False)
    expected = read_fixture_state_dict()
    assert len(expected) == 200
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == expected


def test_b256_and_l256_parameter_counts():
    with torch.device("meta"):
        b256 = build_seqtrack(load_config(config_path("seqtrack_b256")), load_pretrained=False)
        l256 = build_seqtrack(load_config(config_path("seqtrack_l256")), load_pretrained=False)
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    assert count(b256) == 90_596_002
    assert count(b256.encoder) == 86_039_808
    assert count(b256.decoder) == 3_133_696
    assert count(l256) == 308_244_898  # "about 308.2 M"


def test_encoder_parameter_groups_split_by_name_prefix():
    model = tiny_model()
    encoder = list(encoder_parameters(model))
    others = list(non_encoder_parameters(model))
    assert {id(p) for p in encoder} == {id(p) for p in model.encoder.parameters()}
    assert len(encoder) + len(others) == len(list(model.parameters()))


# ------------------------------------------------------------------------------------ forward
def test_forward_and_encode_shapes():
    model = tiny_model()
    templates, search = tiny_images(batch=3)
    seq = torch.randint(0, 102, (3, 5))
    logits = model(templates, search, seq)
    assert logits.shape == (3, 5, 102)  # BINS + 2
    assert model.encode(templates, search).shape == (3, 64, 128)  # (64 / 8)^2 search tokens, HIDDEN_DIM


def test_encoder_orders_tokens_search_then_templates_with_split_positions():
    torch.manual_seed(0)
    vit = VisionTransformer(search_size=32, template_size=16, patch_size=8, embed_dim=16, depth=0, num_heads=2)
    torch.nn.init.normal_(vit.norm.bias)  # the output is norm(tokens + positions): make it depend on the norm
    templates, search = torch.randn(2, 1, 3, 16, 16), torch.randn(1, 1, 3, 32, 32)
    out = vit(templates, search)  # (1, 16 + 2 * 4, 16)
    expect_search = vit.norm(vit.patch_embed(search[0]) + vit.pos_embed[:, :16])
    expect_template2 = vit.norm(vit.patch_embed(templates[1]) + vit.pos_embed[:, 16:])
    assert out.shape == (1, 24, 16)
    torch.testing.assert_close(out[:, :16], expect_search)
    torch.testing.assert_close(out[:, 20:], expect_template2)


def test_memory_depends_on_the_templates():
    model = tiny_model().eval()
    templates, search = tiny_images(batch=2)
    with torch.no_grad():
        before = model.encode(templates, search)
        after = model.encode(templates.flip(-1), search)
    assert not torch.allclose(before, after)


def test_wrong_crop_size_is_an_error():
    model = tiny_model()
    with pytest.raises(ValueError, match="search images"):
        model.encode(torch.zeros(2, 1, 3, 64, 64), torch.zeros(1, 1, 3, 48, 48))


def test_decoder_is_causal():
    model = tiny_model().eval()
    templates, search = tiny_images(batch=2)
    seq = torch.tensor([[101, 10, 20, 30, 40], [101, 50, 60, 70, 80]])
    changed = seq.clone()
    changed[:, 3] = 99
    with torch.no_grad():
        a, b = model(templates, search, seq), model(templates, search, changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3:], b[:, 3:])


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_multihead_attention(causal):
    torch.manual_seed(0)
    reference = torch.nn.MultiheadAttention(32, 4, batch_first=True)
    ours = MultiheadAttention(32, 4)
    ours.load_state_dict(reference.state_dict())  # same parameter names: original checkpoints load as they are
    query, key, value = torch.randn(2, 5, 32), torch.randn(2, 5, 32), torch.randn(2, 5, 32)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5) if causal else None
    expected = reference(query, key, value, attn_mask=mask, need_weights=False)[0]
    got = ours.attend(ours.project_query(query), *ours.project_key_value(key, value), causal=causal)
    torch.testing.assert_close(got, expected)


def _detr_reference(layer, x, pos, memory, memory_pos, pre_norm):
    """The original's DETR layer written with torch's own attention, sharing ``layer``'s weights."""
    self_attn = torch.nn.MultiheadAttention(32, 4, batch_first=True)
    cross_attn = torch.nn.MultiheadAttention(32, 4, batch_first=True)
    self_attn.load_state_dict(layer.self_attn.state_dict())
    cross_attn.load_state_dict(layer.multihead_attn.state_dict())
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[1])
    ffn = lambda h: layer.linear2(F.relu(layer.linear1(h)))  # noqa: E731
    if pre_norm:
        h = layer.norm1(x)
        x = x + self_attn(h + pos, h + pos, h, attn_mask=mask)[0]
        h = layer.norm2(x)
        x = x + cross_attn(h + pos, memory + memory_pos, memory)[0]
        return x + ffn(layer.norm3(x))
    x = layer.norm1(x + self_attn(x + pos, x + pos, x, attn_mask=mask)[0])
    x = layer.norm2(x + cross_attn(x + pos, memory + memory_pos, memory)[0])
    return layer.norm3(x + ffn(x))


@pytest.mark.parametrize("pre_norm", [False, True])
def test_decoder_layer_matches_the_detr_formulation(pre_norm):
    torch.manual_seed(0)
    layer = DecoderLayer(32, 4, 64, dropout=0.1, pre_norm=pre_norm).eval()
    for norm in (layer.norm1, layer.norm2, layer.norm3):  # non-trivial norms, so their order matters
        torch.nn.init.normal_(norm.weight)
        torch.nn.init.normal_(norm.bias)
    x, pos = torch.randn(2, 5, 32), torch.randn(1, 5, 32)
    memory, memory_pos = torch.randn(2, 7, 32), torch.randn(1, 7, 32)
    with torch.no_grad():
        expected = _detr_reference(layer, x, pos, memory, memory_pos, pre_norm)
        torch.testing.assert_close(layer(x, pos, memory, memory_pos), expected)


def test_activation_checkpointing_gives_the_same_gradients():
    plain = tiny_model(**{"MODEL.DECODER.DROPOUT": 0.0})
    checkpointed = tiny_model(**{"MODEL.DECODER.DROPOUT": 0.0, "MODEL.ENCODER.USE_CHECKPOINT": True})
    checkpointed.load_state_dict(plain.state_dict())
    templates, search = tiny_images(batch=2)
    seq = torch.randint(0, 102, (2, 5))
    for model in (plain, checkpointed):
        model(templates, search, seq).square().mean().backward()
    for (name, p), q in zip(plain.named_parameters(), checkpointed.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


def test_memory_position_embedding_starts_as_the_sinusoid_table():
    model = tiny_model()
    table = sinusoid_table(64, 128)
    assert torch.equal(model.pos_embed.detach()[0], table)
    assert torch.allclose(table[:, 0], torch.sin(torch.arange(64.0)))  # channel 0: wavelength 2 pi
    assert torch.allclose(table[:, 1], torch.cos(torch.arange(64.0)))


# ------------------------------------------------------------------------------------ inference
@pytest.mark.parametrize("pre_norm", [False, True])
@pytest.mark.parametrize("window", [False, True])
def test_cached_inference_equals_recomputing_the_prefix(window, pre_norm):
    model = tiny_model(**{"MODEL.DECODER.PRE_NORM": pre_norm, "MODEL.DECODER.DEC_LAYERS": 2}).eval()
    templates, search = tiny_images(batch=4)
    memory = model.encode(templates, search)
    boxes, confidence = model.inference(memory, window=window, use_cache=True)
    boxes_ref, confidence_ref = model.inference(memory, window=window, use_cache=False)
    assert boxes.shape == (4, 4) and confidence.shape == (4,)
    assert boxes.min() >= 0 and boxes.max() <= 1
    torch.testing.assert_close(boxes, boxes_ref)
    torch.testing.assert_close(confidence, confidence_ref)


def _model_preferring(bin_scores: dict):
    """A tiny model whose head ignores its input: fixed logits favouring the given bins."""
    model = tiny_model().eval()
    head = model.vocab_embed.layers[-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        for index, score in bin_scores.items():
            head.bias[index] = score
    return model, torch.softmax(head.bias.detach(), dim=0)


def test_window_moves_the_centre_away_from_the_crop_edge():
    model, probs = _model_preferring({0: 5.0, 50: 4.9})
    memory = model.encode(*tiny_images(batch=1))
    boxes, confidence = model.inference(memory, window=False)
    assert boxes.tolist() == [[0.0, 0.0, 0.0, 0.0]]
    torch.testing.assert_close(confidence, 4 * probs[0:1])  # sum of the four chosen probabilities
    boxes, confidence = model.inference(memory, window=True)
    centre = 50 / 99
    torch.testing.assert_close(boxes, torch.tensor([[centre, centre, 0.0, 0.0]]))  # cx, cy windowed; w, h not
    hann_50 = torch.hann_window(100, periodic=False)[50]
    torch.testing.assert_close(confidence, 2 * probs[50:51] * hann_50 + 2 * probs[0:1])


def test_inference_never_emits_special_tokens():
    model, _ = _model_preferring({100: 9.0, 101: 9.0, 7: 1.0})  # END and START dominate the softmax
    boxes, _ = model.inference(model.encode(*tiny_images(batch=2)))
    torch.testing.assert_close(boxes, torch.full((2, 4), 7 / 99))


# ------------------------------------------------------------------------------------ MAE weights
class NotAllowed:
    """A class a weights-only load must refuse to build."""


def _write_mae_file(path, drop=(), extra=None, obj=None):
    """An MAE-style checkpoint for vit_mini with patch 8: 14 x 14 grid plus class token, MAE decoder entries."""
    torch.manual_seed(123)
    source = VisionTransformer(112, 112, 8, 128, 4, 4)  # vit_mini tensors; positions replaced below
    state = {k: v.clone() for k, v in source.state_dict().items() if k not in drop}
    state["pos_embed"] = torch.randn(1, 1 + 14 * 14, 128)
    state["cls_token"] = torch.randn(1, 1, 128)
    state["mask_token"] = torch.randn(1, 1, 128)
    state["decoder_embed.weight"] = torch.randn(64, 128)
    state.update(extra or {})
    checkpoint = {"model": state}
    if obj is not None:
        checkpoint["args"] = obj
    torch.save(checkpoint, path)
    return state


def test_mae_weights_load_with_resized_positions(tmp_path):
    state = _write_mae_file(tmp_path / "mae.pth")
    model = tiny_model(**{"MODEL.ENCODER.PRETRAINED_PATH": str(tmp_path / "mae.pth")})
    body = model.encoder.body
    torch.testing.assert_close(body.blocks[2].attn.qkv.weight, state["blocks.2.attn.qkv.weight"])
    torch.testing.assert_close(body.patch_embed.proj.weight, state["patch_embed.proj.weight"])
    grid = state["pos_embed"][:, 1:].reshape(1, 14, 14, 128).permute(0, 3, 1, 2)  # class position dropped
    resized = F.interpolate(grid, size=(8, 8), mode="bicubic", align_corners=False).flatten(2).transpose(1, 2)
    assert body.pos_embed.shape == (1, 128, 128)  # 64 search positions, then 64 template positions
    torch.testing.assert_close(body.pos_embed[:, :64], resized)
    torch.testing.assert_close(body.pos_embed[:, 64:], resized)


def test_missing_mae_file_names_the_path_and_the_key(tmp_path):
    missing = tmp_path / "nowhere" / "mae_pretrain_vit_base.pth"
    with pytest.raises(PretrainedWeightsError, match="MODEL.ENCODER.PRETRAINED_PATH") as error:
        tiny_model(**{"MODEL.ENCODER.PRETRAINED_PATH": str(missing)})
    assert str(missing) in str(error.value)


def test_mae_file_missing_an_encoder_tensor_is_an_error(tmp_path):
    _write_mae_file(tmp_path / "mae.pth", drop=("blocks.3.mlp.fc2.bias",))
    with pytest.raises(ValueError, match=r"MAE weights for VisionTransformer.*missing keys \(1\): "
                                         r"blocks\.3\.mlp\.fc2\.bias"):
        tiny_model(**{"MODEL.ENCODER.PRETRAINED_PATH": str(tmp_path / "mae.pth")})


def test_mae_file_with_unknown_tensors_is_an_error(tmp_path):
    _write_mae_file(tmp_path / "mae.pth", extra={"blocks.9.norm1.weight": torch.ones(128)})
    with pytest.raises(ValueError, match=r"unexpected keys \(1\): blocks\.9\.norm1\.weight"):
        tiny_model(**{"MODEL.ENCODER.PRETRAINED_PATH": str(tmp_path / "mae.pth")})


def test_mae_file_is_loaded_weights_only(tmp_path):
    _write_mae_file(tmp_path / "mae.pth", obj=NotAllowed())
    with pytest.raises(ModelConfigError, match="weights-only loader refused it, so nothing in it ran"):
        tiny_model(**{"MODEL.ENCODER.PRETRAINED_PATH": str(tmp_path / "mae.pth")})


def test_empty_pretrained_path_warns_about_random_init(caplog):
    with caplog.at_level(logging.WARNING, logger="lib.models.seqtrack.pretrained"):
        tiny_model()
    assert any("RANDOM init" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
