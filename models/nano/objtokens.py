"""Symbolic object tokens: what the visual block of a scene *should* say, written in the LLM's own word embeddings.

A pretrained LLM already knows words; ours starts from nothing, and a from-scratch LLM trained only through
the image pathway sits on the associative-recall plateau (the answer needs "find the token that matches the
question, read another attribute of it", and no single half of that mechanism lowers the loss on its own).
So stage 0b teaches the LLM the task on a *symbolic* visual block laid out exactly like the real one:

- 64 global slots (the 8x8 squashed view): a slot under an object is the object's colour word plus half its
  shape word and half its quadrant's words ("top"/"bottom", "left"/"right") — the squashed view resolves
  colour and place, barely shape, never the glyph. The quadrant words never occur in text, so the block was
  their only gradient, and it pulled " top" and " bottom" together (cosine 0.8 after stage 0b) until position
  was unreadable even here; they enter detached, keeping their distinct initial embeddings;
- the separator embedding;
- the local raster (4x4 tokens per 112-px tile, one 28-px block each): a block holding an object is
  colour + shape + glyph word embeddings.

Every other slot is (almost) zero. That matters: RMSNorm scales any non-zero vector up to unit size, so
background noise would be as loud as an object to a fresh LLM's attention; near-zero slots stay inert (keys and
values ~0), and the alignment loss teaches the connector to make its background tokens small too.

The same layout gives the alignment targets of stages I-a…III (``align_loss``): the connector's tokens are
pulled towards the noise-free symbolic block, alongside the language-model loss.

Routing supervision (``Routes``, ``route_loss``). Trained on the answers alone, a fresh LLM of Nano's size
stays on a plateau (~45% of first answer tokens on full scenes, however long it trains; ~58% on two-object
colour questions, i.e. it reads *an* object's colour, not the named one's): the lookup takes two hops (find the
slots that match the question's words, carry what they hold to the answer) and neither lowers the loss before
the other exists. We know where each hop should look, so four heads are told:
- "word" (layer 0, head 0), at each colour/shape word of a question: the slots of every object with that
  attribute — a one-hop content match of a word embedding against the sums in the slots;
- "gather" (layer 0, head 2), at the position that predicts the answer: the question's colour/shape words;
- "answer-local" (layer 1, head 0) and "answer-global" (layer 1, head 2), at that position: the local / global
  slot of the object(s) the question names, all its words at once ("red circle"), which needs what "gather"
  brought there.
Heads 0 and 2 sit in different key/value groups (Nano has 4 query heads over 2 KV heads), so each route has
keys and values of its own. A first version had one "answer" head over both slots and "gather" on head 1
(sharing head 0's keys and values): after 300 steps it read colour and shape (98%) and existence (92%), but
glyph (local slot only) and position (global slot only) stayed at chance although that head put 0.45 / 0.53
of its mass on the local / global slot — the per-branch heads with their own value spaces are the remedy
tried for that.
The loss is −log of the attention mass the head puts on its targets. It shapes where the heads look; what is
read there and how the answer is written is still learned from the answers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import torch
from tokenizers import Tokenizer
from torch import nn

from models.nano import data
from models.slime.config import SlimeConfig

BACKGROUND_STD = 3e-4  # well under sqrt(rms_eps): RMSNorm leaves it near zero
QUADRANT_WEIGHT = 0.5
GLOBAL_SHAPE_WEIGHT = 0.5


def _word_ids(tok: Tokenizer) -> dict[str, list[int]]:
    words = list(data.SHAPES) + list(data.COLOUR_NAMES) + ["top", "bottom", "left", "right"]
    out = {w: tok.encode(" " + w, add_special_tokens=False).ids for w in words}
    out.update({g: tok.encode(g, add_special_tokens=False).ids for g in data.GLYPHS})
    return out


ATTRIBUTE_NAMES = frozenset(data.SHAPES) | frozenset(data.COLOUR_NAMES)


def _attribute_tokens(tok: Tokenizer) -> dict[int, str]:
    """Token id -> the colour or shape it names (" red", " circle", " circles", "cross" ...)."""
    out = {}
    for i in range(tok.get_vocab_size()):
        text = tok.decode([i]).strip()
        for w in (text, text[:-1] if text.endswith("s") else ""):
            if w in ATTRIBUTE_NAMES:
                out[i] = w
    return out


def referents(question: str, objects: list[data.SceneObject]) -> list[int]:
    """Indices of the objects a question names: those having every colour and shape word it uses
    ("circles" counts as "circle"); all objects when it names none."""
    words = {w[:-1] if w.endswith("s") and w[:-1] in data.SHAPES else w
             for w in re.findall(r"[a-z]+", question.lower())}
    named = words & ATTRIBUTE_NAMES
    return [k for k, o in enumerate(objects) if named <= {o.shape, o.colour}]


# kind -> (layer, head). "answer-global-later" (``later_words="own-head"``) reads the global slot for an answer's
# later words from head 3, which shares head 2's keys and values (Nano: 4 query heads over 2 KV heads) but has
# queries of its own, so head 2's first-word reading is left alone.
ROUTES = {"word": (0, 0), "gather": (0, 2), "answer-local": (1, 0), "answer-global": (1, 2),
          "answer-global-later": (1, 3)}
LATER_WORDS = (None, "same-heads", "own-head")


@dataclass
class Routes:
    """Attention targets of a batch, per kind (``ROUTES``): (row, query position, key positions) triples."""

    by_kind: dict[str, list[tuple[int, int, list[int]]]] = field(default_factory=dict)

    def add(self, kind: str, row: int, pos: int, keys: list[int]) -> None:
        """Record a target; duplicate keys (two named objects in one global cell) count once."""
        if keys:
            self.by_kind.setdefault(kind, []).append((row, pos, sorted(set(keys))))


def route_loss(attentions: tuple[torch.Tensor, ...], routes: Routes) -> torch.Tensor:
    """Sum over route kinds of the mean −log(attention mass of the kind's head on its target keys)."""
    total = attentions[0].new_zeros(())
    for kind, triples in routes.by_kind.items():
        layer, head = ROUTES[kind]
        rows = torch.tensor([r for r, _, keys in triples for _ in keys])
        poss = torch.tensor([p for _, p, keys in triples for _ in keys])
        cols = torch.tensor([k for _, _, keys in triples for k in keys])
        owner = torch.tensor([t for t, (_, _, keys) in enumerate(triples) for _ in keys])
        picked = attentions[layer][rows, head, poss, cols]
        mass = picked.new_zeros(len(triples)).index_add(0, owner, picked)
        total = total - torch.log(mass + 1e-6).mean()
    return total


class ObjectTokens:
    """Builds symbolic visual blocks and slot layouts for scenes whose size is an exact tile-grid canvas."""

    def __init__(self, tok: Tokenizer, cfg: SlimeConfig) -> None:
        self.cfg = cfg
        self.ids = _word_ids(tok)
        self.attribute_of = _attribute_tokens(tok)
        self.grid = cfg.image_size // cfg.patch_size  # 8 global slots per side
        self.local_side = int(round(cfg.local_queries ** 0.5))  # 4 local tokens per tile side
        self.block_px = cfg.image_size // self.local_side  # 28 px per local token

    def _w(self, emb: nn.Embedding, word: str) -> torch.Tensor:
        return emb.weight[self.ids[word]].mean(0)

    def layout(self, scene: data.Scene, uncompressed: bool = False) -> tuple[tuple[int, int], list[int], list[int]]:
        """(grid, global slot per object, local raster slot per object). ``uncompressed``: one slot per patch."""
        w, h = scene.image.size
        t = self.cfg.image_size
        if w % t or h % t:
            raise ValueError(f"scene {scene.split}/{scene.index}: {w}x{h} is not a {t}-px tile canvas")
        gw, gh = w // t, h // t
        cell = self.cfg.patch_size if uncompressed else self.block_px
        per_row = gw * (t // cell)
        g_slots, l_slots = [], []
        for o in scene.objects:
            cx, cy = (o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2
            g_slots.append(int(cy / h * self.grid) * self.grid + int(cx / w * self.grid))
            l_slots.append(int(cy // cell) * per_row + int(cx // cell))
        return (gw, gh), g_slots, l_slots

    def targets(self, emb: nn.Embedding, scene: data.Scene, uncompressed: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Noise-free symbolic (global [64, H], local raster [M, H]) blocks for ``scene``."""
        (gw, gh), g_slots, l_slots = self.layout(scene, uncompressed)
        n = self.grid
        glob = emb.weight.new_zeros(n * n, emb.weight.shape[1])
        per_tile = n * n if uncompressed else self.cfg.local_queries
        loc = emb.weight.new_zeros(gw * gh * per_tile, emb.weight.shape[1])
        for o, gs, ls in zip(scene.objects, g_slots, l_slots):
            vert, horiz = o.position.split()
            # detached: the block is the quadrant words' only gradient, and it pulls them together (docstring)
            place = self._w(emb, vert).detach() + self._w(emb, horiz).detach()
            glob[gs] = glob[gs] + self._w(emb, o.colour) + GLOBAL_SHAPE_WEIGHT * self._w(emb, o.shape) + (
                QUADRANT_WEIGHT * place)
            loc[ls] = self._w(emb, o.colour) + self._w(emb, o.shape) + self._w(emb, o.glyph)
        return glob, loc

    def block(self, emb: nn.Embedding, scene: data.Scene, rng: torch.Generator) -> torch.Tensor:
        """The symbolic visual block [G ; E[sep] ; L] with background noise (stage 0b input)."""
        glob, loc = self.targets(emb, scene)
        glob = glob + BACKGROUND_STD * torch.randn(glob.shape, generator=rng)
        loc = loc + BACKGROUND_STD * torch.randn(loc.shape, generator=rng)
        sep = emb.weight[self.cfg.separator_id][None]
        return torch.cat([glob, sep, loc])


def align_loss(model: nn.Module, objs: ObjectTokens, feats: list[torch.Tensor], scenes: list[data.Scene],
               opts: dict) -> torch.Tensor:
    """Mean over the batch of ‖connector tokens − symbolic targets‖² / ‖targets‖², over the global slots and
    the local raster (whichever the stage's switches use). Targets are detached from the embedding table."""
    emb = model.llm.get_input_embeddings()
    uncompressed = opts.get("local_mode") == "uncompressed"
    total = feats[0].new_zeros(())
    for f, scene in zip(feats, scenes):
        with torch.no_grad():
            t_glob, t_loc = objs.targets(emb, scene, uncompressed)
        (gw, gh), _, _ = objs.layout(scene)
        proj = model.project(f[:1], f[1:], opts.get("learnable_gated", -1), False, opts.get("local_mode"))
        parts = []
        if not opts.get("use_local_only"):
            parts.append(((proj["global_tokens"] - t_glob) ** 2).sum() / (t_glob ** 2).sum())
        if not opts.get("use_global_only"):
            raster = model.raster_order(proj["local_tokens"], gw, gh)
            parts.append(((raster - t_loc) ** 2).sum() / (t_loc ** 2).sum())
        total = total + sum(parts) / len(parts)
    return total / len(feats)


ATTRIBUTE_CE_SCALE = 20.0  # cosine logits' scale in attribute_ce (temperature 0.05)


def attribute_table(objs: ObjectTokens, emb: nn.Embedding) -> tuple[torch.Tensor, dict[tuple[str, str, str], int]]:
    """Every local symbolic slot an object can have (colour + shape + glyph word embeddings, detached), unit
    length [6*6*16, H], and the row of each (colour, shape, glyph)."""
    combos = [(c, s, g) for c in data.COLOUR_NAMES for s in data.SHAPES for g in data.GLYPHS]
    with torch.no_grad():
        table = torch.stack([objs._w(emb, c) + objs._w(emb, s) + objs._w(emb, g) for c, s, g in combos])
    return nn.functional.normalize(table, dim=1), {k: i for i, k in enumerate(combos)}


def attribute_logits(raster: torch.Tensor, l_slots: list[int], scene: data.Scene, table: torch.Tensor,
                     row: dict[tuple[str, str, str], int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine logits (x ATTRIBUTE_CE_SCALE) of each object's local token against attribute_table's rows, and the
    row of each object's own slot."""
    logits = ATTRIBUTE_CE_SCALE * nn.functional.normalize(raster[l_slots], dim=1) @ table.T
    return logits, torch.tensor([row[(o.colour, o.shape, o.glyph)] for o in scene.objects])


def attribute_ce(model: nn.Module, objs: ObjectTokens, feats: list[torch.Tensor], scenes: list[data.Scene]
                 ) -> torch.Tensor:
    """Cross-entropy, at each object's local slot, of the connector's local token against every symbolic slot an
    object can have (attribute_logits), mean over the batch's objects. The normalised squared error of align_loss
    weighs a glyph's share of the target (one word of three) like any other direction and left the shipped model's
    local tokens decoding to the right glyph for 79% of val objects (colour 99.7%); this term asks for the token to
    be nearer its own slot than to any other, glyph included (models/nano/polish_local.py)."""
    table, row = attribute_table(objs, model.llm.get_input_embeddings())
    total, n = feats[0].new_zeros(()), 0
    for f, scene in zip(feats, scenes):
        (gw, gh), _, l_slots = objs.layout(scene)
        if not l_slots:
            continue
        proj = model.project(f[:1], f[1:], -1, False, None)
        logits, y = attribute_logits(model.raster_order(proj["local_tokens"], gw, gh), l_slots, scene, table, row)
        total = total + nn.functional.cross_entropy(logits, y, reduction="sum")
        n += len(l_slots)
    return total / max(n, 1)


def _add_routes(routes: Routes, objs: ObjectTokens, scene: data.Scene, row: int, ids: torch.Tensor,
                lab: torch.Tensor, p: int, n_block: int, questions: list[str], later_words: str | None = None) -> None:
    """The routing targets of one conversation (see the module docstring). ``ids``/``lab``: the conversation
    with the image placeholder at ``p``, which the ``n_block`` block rows replace. ``later_words``: routes also
    at the positions that predict an answer's later tokens (only position answers have two: "top left"; without
    them the shipped model reads the first word and answers "left" for the second almost always, see
    position_probe.py): "same-heads" repeats the gather and answer-local/global routes there, "own-head" repeats
    gather and sends the global read to head 3 ("answer-global-later"). None: the shipped recipe."""
    _, g_slots, l_slots = objs.layout(scene)

    def global_slots(ks: list[int]) -> list[int]:
        return [p + g_slots[k] for k in ks]

    def local_slots(ks: list[int]) -> list[int]:  # after the global slots and the separator
        return [p + objs.grid ** 2 + 1 + l_slots[k] for k in ks]

    shift = n_block - 1
    answer_starts = [j for j in range(1, len(lab)) if lab[j] != -100 and lab[j - 1] == -100]
    begin = p + 1
    for question, start in zip(questions, answer_starts):
        words = [(j, objs.attribute_of[int(ids[j])]) for j in range(begin, start)
                 if lab[j] == -100 and int(ids[j]) in objs.attribute_of]
        for j, w in words:
            having = [k for k, o in enumerate(scene.objects) if w in (o.shape, o.colour)]
            routes.add("word", row, j + shift, global_slots(having) + local_slots(having))
        if words:
            end = start
            while end < len(lab) and lab[end] != -100:
                end += 1  # lab[start:end] = the answer's tokens and its end-of-turn token
            named = referents(question, scene.objects)
            for m in range(start, end - 1 if later_words else start + 1):  # answer token m is predicted at m - 1
                later = m > start
                routes.add("gather", row, m - 1 + shift, [j + shift for j, _ in words])
                if later and later_words == "own-head":
                    routes.add("answer-global-later", row, m - 1 + shift, global_slots(named))
                    continue
                routes.add("answer-local", row, m - 1 + shift, local_slots(named))
                routes.add("answer-global", row, m - 1 + shift, global_slots(named))
        begin = start


def pretrain_batch(objs: ObjectTokens, tok: Tokenizer, eot: int, emb: nn.Embedding, scenes: list[data.Scene],
                   rng: random.Random, gen: torch.Generator, extra_glyph: int = 0, extra_position: int = 0,
                   later_words: str | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, Routes]:
    """Stage 0b batch: (inputs_embeds [B, S, H] right-padded, attention mask, answer labels, question labels,
    routing targets) for multi-turn conversations about each scene with the symbolic block in place of the
    image. Question labels mark the prompt tokens after the block: predicting "circle" after "What is written
    on the red" is the same lookup as an answer, one hop shorter, so it gives the matching circuit a gradient of
    its own. ``extra_glyph`` adds that many glyph questions about other objects of the scene: glyph words never
    occur in the question text, so without them the glyph read-out gets a sixth of the signal colour and shape
    get (a first run read colour and shape after 1,000 steps and glyphs not at all). ``extra_position`` does the
    same for position questions (on its own it did not make position readable; see the module docstring)."""
    from models.nano import samples_data as sd
    from models.slime.template import IMAGE_TOKEN_INDEX

    rows, labs, qlabs = [], [], []
    routes = Routes()
    for row, scene in enumerate(scenes):
        asked = {q.question for q in scene.questions}
        qs = list(scene.questions)
        for make, n in ((data.glyph_question, extra_glyph), (data.position_question, extra_position)):
            extra = [q for q in map(make, scene.objects) if q.question not in asked]
            qs += rng.sample(extra, min(n, len(extra)))
        qa = [(q.question, q.answer) for q in qs]
        rng.shuffle(qa)
        ids, lab = sd.conversation(tok, eot, qa)
        p = int((ids == IMAGE_TOKEN_INDEX).nonzero()[0])
        blk = objs.block(emb, scene, gen)
        rows.append(torch.cat([emb(ids[:p]), blk, emb(ids[p + 1:])]))
        labs.append(torch.cat([lab[:p], torch.full((blk.shape[0],), -100), lab[p + 1:]]))
        qlabs.append(torch.cat([torch.full((p + blk.shape[0],), -100),
                                torch.where(lab[p + 1:] == -100, ids[p + 1:], -100)]))
        _add_routes(routes, objs, scene, row, ids, lab, p, blk.shape[0], [q for q, _ in qa], later_words)
    s = max(r.shape[0] for r in rows)
    x = rows[0].new_zeros(len(rows), s, rows[0].shape[1])
    mask = torch.zeros(len(rows), s, dtype=torch.long)
    y = torch.full((len(rows), s), -100, dtype=torch.long)
    yq = torch.full((len(rows), s), -100, dtype=torch.long)
    for i, (r, lab, ql) in enumerate(zip(rows, labs, qlabs)):
        x[i, : r.shape[0]], mask[i, : r.shape[0]], y[i, : lab.shape[0]], yq[i, : ql.shape[0]] = r, 1, lab, ql
    return x, mask, y, yq, routes
