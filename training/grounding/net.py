"""A 2-3 M-parameter stand-in with Grounding DINO's public ONNX interface.

Not Grounding DINO: a stride-8 CNN, a BERT-vocabulary token table with one attention layer that
uses Grounding DINO's phrase-block mask, dot-product logits, the top-k locations as queries.
What it shares with the real exports is the contract — inputs, outputs, shapes, meanings:

  onnx-community (HF) export: pixel_values f32 [B,3,H,W], input_ids / attention_mask /
    token_type_ids i64 [B,L], pixel_mask i64 [B,H,W] -> logits [B,Q,256] (pre-sigmoid, columns
    >= L and padding at -inf), pred_boxes [B,Q,4] (normalised cx, cy, w, h). Position ids and the
    phrase-block mask are built in-graph.
  IDEA-Research export: img, input_ids, attention_mask, position_ids, token_type_ids,
    text_token_mask bool [B,L,L] -> logits, boxes. The client builds position ids and the mask.

Export traps on torch 1.13 avoided: no cummax (positions come from a lower-triangular count), no
bool EyeLike (the identity is an arange comparison), no nearest Resize (the pixel mask is sampled
by strided slicing).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIAL_IDS = (101, 102, 1012, 1029)  # [CLS], [SEP], ".", "?"
STRIDE = 8


def conv_bn(cin, cout, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Block(nn.Module):
    def __init__(self, c, d):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, padding=d, dilation=d, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(x + self.bn(self.conv(x)))


def phrase_blocks(input_ids):
    """Grounding DINO's `generate_masks_with_special_tokens_and_transfer_map`, export-friendly.

    Returns (mask [B,L,L] bool, position_ids [B,L] int64). For each special token at c that is
    not the first or last column, the tokens after the previous special up to c form a block that
    attends only to itself, positions 0.. within it; every other token (the [CLS], a special in the
    last column, tokens no special closes, padding) attends to itself only, at position 0.
    """
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for s in SPECIAL_IDS:
        special = special | (input_ids == s)
    L = input_ids.shape[1]
    idx = torch.arange(L, device=input_ids.device)
    edge = (idx == 0) | (idx == L - 1)
    # Column 0 always opens (the loop's previous special starts at 0), whatever token it holds.
    sp = (special | (idx == 0)[None, :]).long()
    block = torch.cumsum(sp, dim=1) - sp  # specials strictly before each token
    eq = block[:, :, None] == block[:, None, :]
    closer = special & ~edge[None, :]
    closed = (eq & closer[:, None, :]).any(dim=2)
    same = eq & closed[:, :, None] & closed[:, None, :]
    mask = same | (idx[:, None] == idx[None, :])[None]
    lower = idx[None, :] < idx[:, None]  # s < r
    pos = (same & lower[None]).long().sum(dim=2)
    return mask, pos


def phrase_blocks_reference(ids):
    """The IDEA-Research loop, literally (one row): the check for phrase_blocks."""
    L = len(ids)
    mask = [[r == c for c in range(L)] for r in range(L)]
    pos = [0] * L
    prev = 0
    for c, t in enumerate(ids):
        if t not in SPECIAL_IDS:
            continue
        if c == 0 or c == L - 1:
            mask[c][c] = True
            pos[c] = 0
        else:
            for r in range(prev + 1, c + 1):
                for q in range(prev + 1, c + 1):
                    mask[r][q] = True
                pos[r] = r - prev - 1
        prev = c
    return mask, pos


class GroundingStandIn(nn.Module):
    def __init__(self, width=48, dilations=(1, 2, 4, 1), embed=64, token_dim=32, queries=300, max_text_len=256, vocab=30522):
        super().__init__()
        self.queries = queries
        self.max_text_len = max_text_len
        self.embed = embed
        self.stem = nn.Sequential(conv_bn(3, 16, 2), conv_bn(16, 24, 2), conv_bn(24, width, 2))
        self.blocks = nn.Sequential(*[Block(width, d) for d in dilations])
        self.vis = nn.Conv2d(width, embed, 1)
        self.box = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(width, 4, 1))
        self.tok = nn.Embedding(vocab, token_dim)
        self.pos = nn.Embedding(max_text_len, token_dim)
        self.typ = nn.Embedding(2, token_dim)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.tproj = nn.Linear(token_dim, embed)
        self.ln1 = nn.LayerNorm(embed)
        self.q = nn.Linear(embed, embed)
        self.k = nn.Linear(embed, embed)
        self.v = nn.Linear(embed, embed)
        self.o = nn.Linear(embed, embed)
        self.ln2 = nn.LayerNorm(embed)
        self.bias = nn.Parameter(torch.tensor(-math.log(99.0)))  # prior 0.01 (focal loss)

    def text(self, input_ids, token_type_ids, position_ids, mask):
        t = self.tok(input_ids) + self.pos(position_ids) + self.typ(token_type_ids)
        t = self.ln1(self.tproj(t))
        att = torch.matmul(self.q(t), self.k(t).transpose(1, 2)) / math.sqrt(self.embed)
        att = att.masked_fill(~mask, -1e4).softmax(dim=-1)
        return self.ln2(t + self.o(torch.matmul(att, self.v(t))))

    def dense(self, pixel_values, input_ids, attention_mask, token_type_ids, position_ids, mask, pixel_mask=None):
        """Per-location logits [B,N,L] and boxes [B,N,4] (normalised cx, cy, w, h), N = h*w/64."""
        f = self.blocks(self.stem(pixel_values))
        B, _, h, w = f.shape
        H, W = pixel_values.shape[2], pixel_values.shape[3]
        v = self.vis(f).flatten(2).transpose(1, 2)  # B,N,E
        t = self.text(input_ids, token_type_ids, position_ids, mask)
        logits = torch.matmul(v, t.transpose(1, 2)) / math.sqrt(self.embed) + self.bias
        logits = logits.masked_fill(~attention_mask.bool()[:, None, :], float("-inf"))
        ltrb = torch.exp(self.box(f).clamp(max=8.0)) * STRIDE  # B,4,h,w in pixels
        ys = (torch.arange(h, dtype=torch.float32) + 0.5) * STRIDE
        xs = (torch.arange(w, dtype=torch.float32) + 0.5) * STRIDE
        cy = ys[:, None].expand(h, w)
        cx = xs[None, :].expand(h, w)
        x1 = cx - ltrb[:, 0]
        y1 = cy - ltrb[:, 1]
        x2 = cx + ltrb[:, 2]
        y2 = cy + ltrb[:, 3]
        boxes = torch.stack([(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W, (y2 - y1) / H], dim=-1).flatten(1, 2)
        if pixel_mask is not None:
            m = pixel_mask[:, STRIDE // 2 :: STRIDE, STRIDE // 2 :: STRIDE][:, :h, :w].flatten(1)
            logits = logits.masked_fill((m == 0)[:, :, None], float("-inf"))
        return logits, boxes

    def select(self, logits, boxes):
        """Top-k locations by their best token: the queries, logits padded to max_text_len."""
        best = logits.max(dim=2).values
        _, top = torch.topk(best, self.queries, dim=1)
        L = logits.shape[2]
        ql = torch.gather(logits, 1, top[:, :, None].expand(-1, -1, L))
        qb = torch.gather(boxes, 1, top[:, :, None].expand(-1, -1, 4))
        pad = torch.full((ql.shape[0], ql.shape[1], self.max_text_len - L), float("-inf"))
        return torch.cat([ql, pad], dim=2), qb


class HFExport(nn.Module):
    """The onnx-community contract."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, pixel_values, input_ids, attention_mask, token_type_ids, pixel_mask):
        mask, pos = phrase_blocks(input_ids)
        logits, boxes = self.net.dense(pixel_values, input_ids, attention_mask, token_type_ids, pos, mask, pixel_mask)
        return self.net.select(logits, boxes)


class IDEAExport(nn.Module):
    """The IDEA-Research export_onnx.py contract: the client supplies positions and the mask."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, img, input_ids, attention_mask, position_ids, token_type_ids, text_token_mask):
        logits, boxes = self.net.dense(img, input_ids, attention_mask, token_type_ids, position_ids, text_token_mask)
        return self.net.select(logits, boxes)
