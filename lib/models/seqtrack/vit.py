"""The SeqTrack encoder: a plain ViT (timm ``Block``s, no class token) over search and template tokens jointly."""

from __future__ import annotations

from functools import partial

import torch
from timm.layers import Attention as TimmAttention
from timm.models.vision_transformer import Block
from torch import nn
from torch.utils.checkpoint import checkpoint

from lib.models.seqtrack.errors import ModelConfigError

# MODEL.ENCODER.TYPE -> (embedding dim, depth, heads); MLP ratio 4, qkv bias, LayerNorm eps 1e-6 for all.
ENCODER_SPECS = {
    "vit_base_patch16": (768, 12, 12),
    "vit_large_patch16": (1024, 24, 16),
    "vit_small": (384, 12, 6),
    "vit_tiny": (192, 12, 3),
    "vit_mini": (128, 4, 4),
}


class PatchEmbed(nn.Module):
    """Non-overlapping patches -> tokens through one strided convolution (``proj``, timm's name)."""

    def __init__(self, patch_size: int, embed_dim: int, in_chans: int = 3):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # (N, 3, H, W) -> (N, C, H/p, W/p) -> (N, HW/p^2, C)
        return self.proj(images).flatten(2).transpose(1, 2)


def sincos_2d(grid: tuple, dim: int) -> torch.Tensor:
    """2-D sine-cosine position table ``(rows * cols, dim)``: half the channels encode the row, half the column."""
    if dim % 4:
        return torch.zeros(grid[0] * grid[1], dim)
    rows, cols = torch.meshgrid(torch.arange(grid[0], dtype=torch.float64),
                                torch.arange(grid[1], dtype=torch.float64), indexing="ij")
    frequencies = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim // 4))  # (D/4,)
    parts = []
    for coordinate in (cols.flatten(), rows.flatten()):
        angles = coordinate[:, None] * frequencies[None]  # (N, D/4)
        parts += [torch.sin(angles), torch.cos(angles)]
    return torch.cat(parts, dim=1).float()  # (N, D)


def _cpu_bf16(x: torch.Tensor) -> bool:
    """Whether products on ``x`` run in bf16 on the CPU (bf16 tensors, or bf16 autocast)."""
    if x.device.type != "cpu":
        return False
    return x.dtype == torch.bfloat16 or (torch.is_autocast_enabled("cpu")
                                        and torch.get_autocast_dtype("cpu") == torch.bfloat16)


class Attention(TimmAttention):
    """timm's attention (the same parameters, names and results within bf16 rounding), whose attention product,
    on the CPU in bf16 and without gradients (tracking), runs as two batched GEMMs: oneDNN computes those in
    bf16 about twice as fast as the fused CPU kernel, which gains nothing from bf16 (measured: 4.5 vs 10.5 ms
    for one ViT-B layer over 768 tokens on 2 AVX512-BF16 cores). Everything else goes through timm's forward."""

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
        plain = attn_mask is None and not is_causal and getattr(self, "gate", None) is None
        if not (plain and not torch.is_grad_enabled() and _cpu_bf16(x)):
            return super().forward(x, attn_mask=attn_mask, is_causal=is_causal)
        batch, tokens, _ = x.shape
        # (B, N, 3C) -> (3, B, heads, N, head_dim)
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q, k = self.q_norm(q), self.k_norm(k)
        q = (q * self.scale).flatten(0, 1)  # (B * heads, N, head_dim)
        weights = torch.bmm(q, k.flatten(0, 1).transpose(1, 2)).softmax(dim=-1)  # (B * heads, N, N)
        out = torch.bmm(weights, v.flatten(0, 1)).unflatten(0, (batch, self.num_heads))  # (B, heads, N, head_dim)
        out = out.transpose(1, 2).reshape(batch, tokens, self.attn_dim)
        return self.proj_drop(self.proj(self.norm(out)))


class VisionTransformer(nn.Module):
    """ViT over ``[search, template_1, ..., template_T]`` tokens attending jointly.

    ``pos_embed`` is one parameter ``(1, Ns + Nt, C)``: the search grid's positions, then the template
    grid's (shared by every template), as in the original's state_dict.
    """

    def __init__(self, search_size: int, template_size: int, patch_size: int, embed_dim: int, depth: int,
                 num_heads: int, drop_path: float = 0.0, use_checkpoint: bool = False):
        super().__init__()
        for name, size in (("search", search_size), ("template", template_size)):
            if size % patch_size:
                raise ValueError(f"{name} size {size} is not a multiple of the patch size {patch_size}")
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.search_size, self.template_size = search_size, template_size
        self.search_grid = (search_size // patch_size, search_size // patch_size)
        self.template_grid = (template_size // patch_size, template_size // patch_size)
        self.num_patches_search = self.search_grid[0] * self.search_grid[1]
        self.num_patches_template = self.template_grid[0] * self.template_grid[1]
        self.use_checkpoint = use_checkpoint

        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_patches_search + self.num_patches_template, embed_dim))
        # Stochastic depth grows linearly from 0 to drop_path over the blocks (plain floats: meta-device safe).
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio=4.0, qkv_bias=True, drop_path=rate, norm_layer=norm_layer,
                  attn_layer=Attention)
            for rate in rates
        )
        self.norm = norm_layer(embed_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        """ViT init: truncated normal (std 0.02) for linear weights, zero biases, unit norms.

        Positions start from the fixed 2-D sine-cosine table that MAE pre-trains with, so a randomly
        initialised encoder knows where each patch is from the first step (MAE weights overwrite it).
        """
        with torch.no_grad():
            self.pos_embed.copy_(torch.cat([sincos_2d(self.search_grid, self.embed_dim),
                                            sincos_2d(self.template_grid, self.embed_dim)]).unsqueeze(0))
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _embed(self, images: torch.Tensor, expected_size: int, positions: torch.Tensor, name: str) -> torch.Tensor:
        """Frames-first images ``(F, B, 3, H, W)`` -> tokens ``(B, F * N, C)``, frame after frame."""
        if images.dim() != 5 or images.shape[-2:] != (expected_size, expected_size):
            raise ValueError(f"{name} images must be [frames, B, 3, {expected_size}, {expected_size}], "
                             f"got {tuple(images.shape)}")
        frames, batch = images.shape[:2]
        tokens = self.patch_embed(images.flatten(0, 1)) + positions  # (F*B, N, C)
        tokens = tokens.unflatten(0, (frames, batch))  # (F, B, N, C)
        return tokens.transpose(0, 1).flatten(1, 2)  # (B, F*N, C)

    def forward(self, template_images: torch.Tensor, search_images: torch.Tensor) -> torch.Tensor:
        """``[T, B, 3, Ht, Wt]`` templates, ``[S, B, 3, Hs, Ws]`` search -> ``(B, S*Ns + T*Nt, C)``, search first."""
        ns = self.num_patches_search
        search = self._embed(search_images, self.search_size, self.pos_embed[:, :ns], "search")
        template = self._embed(template_images, self.template_size, self.pos_embed[:, ns:], "template")
        tokens = torch.cat([search, template], dim=1)
        for block in self.blocks:
            if self.use_checkpoint and self.training and torch.is_grad_enabled():
                tokens = checkpoint(block, tokens, use_reentrant=False)
            else:
                tokens = block(tokens)
        return self.norm(tokens)


class Encoder(nn.Module):
    """Holds the ViT as ``body`` so parameter names read ``encoder.body.*`` as in the original."""

    def __init__(self, body: VisionTransformer):
        super().__init__()
        self.body = body
        self.num_channels = body.embed_dim

    def forward(self, template_images: torch.Tensor, search_images: torch.Tensor) -> torch.Tensor:
        return self.body(template_images, search_images)


def build_vit(encoder_type: str, search_size: int, template_size: int, patch_size: int,
              drop_path: float = 0.0, use_checkpoint: bool = False) -> VisionTransformer:
    """A randomly initialised ViT of one of :data:`ENCODER_SPECS`."""
    try:
        embed_dim, depth, num_heads = ENCODER_SPECS[encoder_type]
    except KeyError:
        raise ModelConfigError(f"unknown MODEL.ENCODER.TYPE {encoder_type!r}; "
                         f"expected one of {sorted(ENCODER_SPECS)}") from None
    return VisionTransformer(search_size, template_size, patch_size, embed_dim, depth, num_heads,
                             drop_path=drop_path, use_checkpoint=use_checkpoint)
