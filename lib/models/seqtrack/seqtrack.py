"""The SeqTrack network: ViT encoder, bottleneck, autoregressive box-token decoder and output head."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lib.models.seqtrack.decoder import SeqTrackDecoder
from lib.models.seqtrack.errors import ModelConfigError
from lib.models.seqtrack.onednn_linear import use_cpu_linear_kernel
from lib.models.seqtrack.pretrained import load_pretrained_encoder, resolve_mae_weights
from lib.models.seqtrack.tokens import NUM_COORDINATES, SEQUENCE_LENGTH, start_token, tokens_to_boxes, vocab_size
from lib.models.seqtrack.vit import Encoder, build_vit

logger = logging.getLogger(__name__)

ENCODER_PREFIX = "encoder."  # parameter-name prefix of the encoder (its own learning-rate group)


def sinusoid_table(num_positions: int, dim: int) -> torch.Tensor:
    """1-D sine/cosine position table ``(num_positions, dim)``: even channels sine, odd channels cosine.

    Channel pair ``(2i, 2i+1)`` has wavelength ``10000 ** (2i / dim)`` (the Transformer paper's table).
    """
    positions = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)  # (N, 1)
    pair = torch.arange(dim, dtype=torch.float64) // 2  # (D,)
    angles = positions / torch.pow(10000.0, 2.0 * pair / dim)  # (N, D)
    table = torch.where(torch.arange(dim) % 2 == 0, torch.sin(angles), torch.cos(angles))
    return table.float()


class MLP(nn.Module):
    """Linear layers with ReLU between them (``layers.{0..n-1}``); the last layer has no activation."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int):
        super().__init__()
        dims = [input_dim] + [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(nn.Linear(d_in, d_out) for d_in, d_out in zip(dims[:-1], dims[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


class SeqTrack(nn.Module):
    """Templates + search crop -> memory of search tokens -> logits over the ``bins + 2`` token vocabulary."""

    def __init__(self, encoder: Encoder, decoder: SeqTrackDecoder, hidden_dim: int, bins: int, num_search: int = 1):
        super().__init__()
        self.encoder = encoder
        self.bins = bins
        self.num_memory_tokens = encoder.body.num_patches_search * num_search
        # Always applied, even when the encoder width equals hidden_dim (the original then skips it, which
        # leaves parameters without gradients and breaks DistributedDataParallel's default settings).
        self.bottleneck = nn.Linear(encoder.num_channels, hidden_dim)
        self.decoder = decoder
        self.vocab_embed = MLP(hidden_dim, hidden_dim, vocab_size(bins), 3)
        # Learned position embedding of the decoder memory, initialised to the sinusoid table.
        self.pos_embed = nn.Parameter(sinusoid_table(self.num_memory_tokens, hidden_dim).unsqueeze(0))

    def encode(self, template_images: torch.Tensor, search_images: torch.Tensor) -> torch.Tensor:
        """``[T, B, 3, Ht, Wt]``, ``[S, B, 3, Hs, Ws]`` -> decoder memory ``(B, S*Ns, hidden)`` (search tokens)."""
        features = self.encoder(template_images, search_images)  # (B, S*Ns + T*Nt, C), search first
        return self.bottleneck(features[:, :self.num_memory_tokens])

    def decode(self, memory: torch.Tensor, seq_input: torch.Tensor) -> torch.Tensor:
        """Teacher-forced, causally masked decoding: memory ``(B, N, D)``, tokens ``(B, L)`` -> logits ``(B, L, V)``."""
        hidden = self.decoder(seq_input, memory, self.pos_embed)
        return self.vocab_embed(hidden)

    def forward(self, template_images: torch.Tensor, search_images: torch.Tensor,
                seq_input: torch.Tensor) -> torch.Tensor:
        """Training pass -> logits ``(B, L, bins + 2)``; position ``t`` predicts token ``t + 1``."""
        return self.decode(self.encode(template_images, search_images), seq_input)

    def _next_token_probs(self, memory: torch.Tensor, seq: torch.Tensor, cache) -> torch.Tensor:
        """Softmax over the whole vocabulary for the token after ``seq`` -> ``(B, V)``."""
        if cache is not None:
            hidden = self.decoder(seq[:, -1:], memory, self.pos_embed, cache)  # only the newest token
        else:
            hidden = self.decoder(seq, memory, self.pos_embed)  # the whole prefix again, as the original
        return self.vocab_embed(hidden[:, -1]).float().softmax(dim=-1)  # fp32 even under bf16 autocast

    @torch.no_grad()
    def inference(self, memory: torch.Tensor, window: bool = False,
                  use_cache: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding of one box per memory -> ``(boxes (B, 4), confidence (B,))``.

        ``boxes`` are normalised to the search crop in token order ``SEQ_FORMAT`` (``bin / (bins - 1)``).
        As in the original, each step takes the softmax over the whole vocabulary and keeps the coordinate
        bins; with ``window`` the first two steps (cx, cy for ``SEQ_FORMAT: xywh``; meaningless for
        ``xyxy``) are multiplied by a Hanning window of length ``bins``, favouring the crop centre. The
        top-1 bin is chosen, and ``confidence`` is the sum of the four chosen (windowed) probabilities
        (the original tracker sums the same four values and multiplies by 10 before its threshold).
        ``use_cache`` keeps keys/values of decoded tokens so each step computes only the new token.
        """
        batch = memory.shape[0]
        seq = torch.full((batch, 1), start_token(self.bins), dtype=torch.long, device=memory.device)
        hann = torch.hann_window(self.bins, periodic=False, dtype=torch.float32, device=memory.device)
        cache = self.decoder.new_cache() if use_cache else None
        chosen = []
        for step in range(NUM_COORDINATES):
            probs = self._next_token_probs(memory, seq, cache)[:, :self.bins]  # (B, bins)
            if window and step < 2:
                probs = probs * hann
            confidence, token = probs.max(dim=-1)
            seq = torch.cat([seq, token.unsqueeze(1)], dim=1)
            chosen.append(confidence)
        return tokens_to_boxes(seq[:, 1:], self.bins), torch.stack(chosen, dim=1).sum(dim=1)


def encoder_parameters(model: nn.Module) -> Iterator[nn.Parameter]:
    """Trainable parameters of the encoder (names starting ``encoder.``): the ENCODER_MULTIPLIER group."""
    return (p for name, p in _unwrap(model).named_parameters() if name.startswith(ENCODER_PREFIX) and p.requires_grad)


def non_encoder_parameters(model: nn.Module) -> Iterator[nn.Parameter]:
    """Trainable parameters outside the encoder (bottleneck, memory positions, decoder, head)."""
    return (p for name, p in _unwrap(model).named_parameters()
            if not name.startswith(ENCODER_PREFIX) and p.requires_grad)


def _unwrap(model: nn.Module) -> nn.Module:
    """The SeqTrack inside a DistributedDataParallel (``.module``), or the model itself."""
    return getattr(model, "module", model)


def fetch_pretrained(cfg) -> Path | None:
    """The local file of the config's MAE weights, downloaded into the Hub cache if need be -- before anything
    else is built, so that weights that cannot be had stop a run at once (``PretrainedWeightsError``, naming
    the reference, the cache and the ways out). None when the encoder starts from random weights."""
    enc = cfg.MODEL.ENCODER
    if enc.PRETRAIN_TYPE != "mae" or not enc.PRETRAINED_PATH:
        return None
    return resolve_mae_weights(enc.PRETRAINED_PATH)


def build_seqtrack(cfg, load_pretrained: bool = True) -> SeqTrack:
    """SeqTrack from the config: ``cfg.MODEL`` for the architecture, ``cfg.DATA`` for crop sizes and frames.

    ``load_pretrained=False`` skips MODEL.ENCODER.PRETRAINED_PATH, for callers that load all weights next.
    """
    if cfg.MODEL.FEATURE_TYPE != "x":
        raise ModelConfigError(f"MODEL.FEATURE_TYPE {cfg.MODEL.FEATURE_TYPE!r} is not built; only 'x' (search tokens)")
    enc = cfg.MODEL.ENCODER
    body = build_vit(enc.TYPE, cfg.DATA.SEARCH.SIZE, cfg.DATA.TEMPLATE.SIZE, enc.PATCH_SIZE,
                     drop_path=enc.DROP_PATH, use_checkpoint=enc.USE_CHECKPOINT)
    if load_pretrained:
        load_pretrained_encoder(body, enc.PRETRAINED_PATH, enc.PRETRAIN_TYPE)
    dec = cfg.MODEL.DECODER
    num_search = cfg.DATA.SEARCH.NUMBER
    decoder = SeqTrackDecoder(vocab_size(cfg.MODEL.BINS), cfg.MODEL.HIDDEN_DIM, dec.NHEADS, dec.DEC_LAYERS,
                              dec.DIM_FEEDFORWARD, dec.DROPOUT, dec.PRE_NORM, SEQUENCE_LENGTH * num_search)
    model = SeqTrack(Encoder(body), decoder, cfg.MODEL.HIDDEN_DIM, cfg.MODEL.BINS, num_search)
    use_cpu_linear_kernel(model, cfg.MODEL.CPU_LINEAR)
    logger.info("built SeqTrack (%s, %d decoder layers, %d bins): %s parameters", enc.TYPE, dec.DEC_LAYERS,
                cfg.MODEL.BINS, f"{sum(p.numel() for p in model.parameters()):,}")
    return model
