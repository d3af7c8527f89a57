"""SliME-Nano synthetic detail-heavy scenes: seeded Pillow generator, question families and splits.

Every scene is a cluttered canvas holding a few small objects (shape x colour) with a small glyph drawn on
each. Image sizes are drawn so that every tile grid of the spec section 2.2 rule occurs at Nano's tile size;
objects are small enough that the squashed global view cannot resolve the glyph (and barely the shape) while
the local tiles can. Splits are disjoint by seed namespace: ``train``, ``val`` (budget and learning-rate choices;
never ``heldout``/``hard``), ``heldout`` and ``hard`` (smaller objects and glyphs).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from models.slime.preprocess import choose_grid

SHAPES = ("circle", "square", "triangle", "diamond", "star", "cross")
COLOURS = {
    "red": (220, 38, 38),
    "green": (34, 160, 60),
    "blue": (37, 84, 225),
    "yellow": (236, 200, 20),
    "purple": (150, 55, 195),
    "orange": (245, 125, 20),
}
COLOUR_NAMES = tuple(COLOURS)
GLYPHS = tuple("AEFHKMRTXY234579")
POSITIONS = ("top left", "top right", "bottom left", "bottom right")
FAMILIES = ("colour", "shape", "glyph", "count", "exist", "position")
DETAIL_FAMILIES = ("glyph", "shape")
COUNT_WORDS = ("0", "1", "2", "3", "4", "5")

DEFAULT_TILE = 112
PATCH = 14  # Nano's ViT patch: objects sit in the cells of this lattice
SPLIT_SIZES = {"train": (13, 14), "val": (13, 14), "heldout": (13, 14), "hard": (10, 11)}
# Reachable grids (gw, gh) of the spec 2.2 rule; sampled uniformly so that each one occurs.
GRIDS = ((1, 2), (2, 1), (1, 3), (3, 1), (2, 2), (1, 4), (4, 1), (1, 5), (5, 1), (2, 3), (3, 2), (1, 6),
         (6, 1), (1, 7), (7, 1))


@dataclass
class SceneObject:
    """One object of a scene: its attributes and its bounding box in original-image pixels."""

    shape: str
    colour: str
    glyph: str
    box: tuple[int, int, int, int]
    position: str

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"


@dataclass
class Question:
    """A question about a scene with its short answer, family and the box of the object it names."""

    family: str
    question: str
    answer: str
    box: tuple[int, int, int, int] | None


@dataclass
class Scene:
    """A generated image with its objects and questions."""

    split: str
    index: int
    image: Image.Image
    objects: list[SceneObject]
    questions: list[Question] = field(default_factory=list)


def _seed(split: str, index: int, salt: str = "") -> int:
    digest = hashlib.sha256(f"slime-nano/{split}/{index}/{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _image_size(rng: random.Random, tile: int) -> tuple[int, int]:
    """A size that is exactly the canvas of a uniformly drawn reachable grid, so that local tiles show the
    image at native resolution and the 14-px cells of the object lattice coincide with the ViT patches."""
    gw, gh = rng.choice(GRIDS)
    return gw * tile, gh * tile


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _draw_clutter(rng: random.Random, img: Image.Image) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(int(w * h / 900)):
        g = rng.randint(70, 190)
        tone = (g + rng.randint(-12, 12), g + rng.randint(-12, 12), g + rng.randint(-12, 12))
        x0, y0 = rng.randrange(w), rng.randrange(h)
        kind = rng.random()
        if kind < 0.5:
            draw.line((x0, y0, x0 + rng.randint(-30, 30), y0 + rng.randint(-30, 30)), fill=tone, width=1)
        elif kind < 0.8:
            r = rng.randint(1, 3)
            draw.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=tone)
        else:
            draw.rectangle((x0, y0, x0 + rng.randint(2, 8), y0 + rng.randint(2, 8)), outline=tone)


def _shape_points(shape: str, box: tuple[int, int, int, int]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    if shape == "triangle":
        return [(cx, y0), (x1, y1), (x0, y1)]
    if shape == "diamond":
        return [(cx, y0), (x1, cy), (cx, y1), (x0, cy)]
    if shape == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            f = 1.0 if k % 2 == 0 else 0.5
            pts.append((cx + f * rx * math.cos(a), cy + f * ry * math.sin(a)))
        return pts
    # cross
    t = 0.36
    return [(x0 + rx * (1 - t), y0), (x0 + rx * (1 + t), y0), (x0 + rx * (1 + t), y0 + ry * (1 - t)),
            (x1, y0 + ry * (1 - t)), (x1, y0 + ry * (1 + t)), (x0 + rx * (1 + t), y0 + ry * (1 + t)),
            (x0 + rx * (1 + t), y1), (x0 + rx * (1 - t), y1), (x0 + rx * (1 - t), y0 + ry * (1 + t)),
            (x0, y0 + ry * (1 + t)), (x0, y0 + ry * (1 - t)), (x0 + rx * (1 - t), y0 + ry * (1 - t))]


def _draw_object(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    rgb = COLOURS[obj.colour]
    x0, y0, x1, y1 = obj.box
    if obj.shape == "circle":
        draw.ellipse(obj.box, fill=rgb)
    elif obj.shape == "square":
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=rgb)
    else:
        draw.polygon(_shape_points(obj.shape, obj.box), fill=rgb)
    size = x1 - x0
    font = _font(max(7, int(size * 0.62)))
    ink = (0, 0, 0) if obj.colour in ("yellow", "orange", "green") else (255, 255, 255)
    cy = (y0 + y1) / 2 + (size * 0.1 if obj.shape == "triangle" else 0)
    draw.text(((x0 + x1) / 2, cy), obj.glyph, fill=ink, font=font, anchor="mm")


def _place_objects(rng: random.Random, w: int, h: int, size_range: tuple[int, int], dense: bool = False,
                   cell: int = PATCH, max_objects: int = 8) -> list[SceneObject]:
    """Objects centred (+-1 px jitter) in cells of a ``cell``-px lattice, at most one per 2x2-cell block (one
    compressed local token), never next to the image midlines (so the quadrant answer is unambiguous)."""
    area_tiles = w * h / (DEFAULT_TILE * DEFAULT_TILE)
    n = max(3, min(8, int(round(2 + area_tiles * rng.uniform(0.6, 1.1)))))
    if dense:
        n = int(area_tiles * 5) + 2
    n = min(n, max_objects) if not dense else n
    cols, rows = w // cell, h // cell
    free = [(r, c) for r in range(rows) for c in range(cols)
            if abs((c + 0.5) * cell - w / 2) > cell and abs((r + 0.5) * cell - h / 2) > cell]
    rng.shuffle(free)
    pairs = [(s, c) for s in SHAPES for c in COLOUR_NAMES]
    rng.shuffle(pairs)
    used_blocks: set[tuple[int, int]] = set()
    objects: list[SceneObject] = []
    for r, c in free:
        if len(objects) >= n or not pairs:
            break
        if (r // 2, c // 2) in used_blocks:
            continue
        used_blocks.add((r // 2, c // 2))
        shape, colour = pairs.pop()
        size = rng.randint(*size_range)
        x0 = c * cell + (cell - size) // 2 + rng.randint(-1, 1)
        y0 = r * cell + (cell - size) // 2 + rng.randint(-1, 1)
        x0, y0 = max(0, min(w - size, x0)), max(0, min(h - size, y0))
        cx, cy = x0 + size / 2, y0 + size / 2
        pos = ("top" if cy < h / 2 else "bottom") + (" left" if cx < w / 2 else " right")
        objects.append(SceneObject(shape, colour, rng.choice(GLYPHS), (x0, y0, x0 + size, y0 + size), pos))
    return objects


def glyph_question(o: SceneObject) -> Question:
    """The glyph question about ``o`` (one per scene in every split; stage 0b asks it about more objects)."""
    return Question("glyph", f"What is written on the {o.name}?", o.glyph, o.box)


def position_question(o: SceneObject) -> Question:
    """The position question about ``o`` (one per scene in every split; stage 0b asks it about more objects)."""
    return Question("position", f"Where is the {o.name}?", o.position, o.box)


def _questions(rng: random.Random, objects: list[SceneObject]) -> list[Question]:
    qs: list[Question] = []
    target = rng.choice(objects)
    shape_counts = {s: sum(o.shape == s for o in objects) for s in SHAPES}
    colour_counts = {c: sum(o.colour == c for o in objects) for c in COLOUR_NAMES}
    uniq_shape = [o for o in objects if shape_counts[o.shape] == 1]
    uniq_colour = [o for o in objects if colour_counts[o.colour] == 1]
    if uniq_shape:
        o = rng.choice(uniq_shape)
        qs.append(Question("colour", f"What colour is the {o.shape}?", o.colour, o.box))
    if uniq_colour:
        o = rng.choice(uniq_colour)
        qs.append(Question("shape", f"What shape is the {o.colour} object?", o.shape, o.box))
    qs.append(glyph_question(target))
    if rng.random() < 0.5:
        s = rng.choice(SHAPES)
        hits = [o for o in objects if o.shape == s]
        qs.append(Question("count", f"How many {s}s are there?", str(len(hits)), _union(hits)))
    else:
        c = rng.choice(COLOUR_NAMES)
        hits = [o for o in objects if o.colour == c]
        qs.append(Question("count", f"How many {c} objects are there?", str(len(hits)), _union(hits)))
    present = {(o.shape, o.colour) for o in objects}
    absent = [(s, c) for s in SHAPES for c in COLOUR_NAMES if (s, c) not in present]
    if rng.random() < 0.5 or not absent:
        o = rng.choice(objects)
        qs.append(Question("exist", f"Is there a {o.name}?", "yes", o.box))
    else:
        s, c = rng.choice(absent)
        qs.append(Question("exist", f"Is there a {c} {s}?", "no", None))
    qs.append(position_question(rng.choice(objects)))
    return qs


def _union(objs: list[SceneObject]) -> tuple[int, int, int, int] | None:
    if not objs:
        return None
    return (min(o.box[0] for o in objs), min(o.box[1] for o in objs), max(o.box[2] for o in objs),
            max(o.box[3] for o in objs))


def make_scene(split: str, index: int, tile: int = DEFAULT_TILE, dense: bool = False, max_objects: int = 8,
               sizes: tuple[int, int] | None = None) -> Scene:
    """Generate scene ``index`` of ``split`` (deterministic: same arguments, same pixels and questions).
    ``dense`` packs many more objects (stage-0 vision pretraining only); ``max_objects`` caps the count
    (curriculum; the default 8 is the cap of every split). ``sizes`` overrides the split's object side range
    (inclusive, px); the scene's seed is the split's, so only the objects' sizes and what follows them differ."""
    if split not in SPLIT_SIZES:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLIT_SIZES)}")
    rng = random.Random(_seed(split, index))
    while True:
        w, h = _image_size(rng, tile)
        objects = _place_objects(rng, w, h, sizes or SPLIT_SIZES[split], dense, max_objects=max_objects)
        if len(objects) >= 2:
            break
    base = rng.randint(95, 165)
    img = Image.new("RGB", (w, h), (base, base + rng.randint(-10, 10), base + rng.randint(-10, 10)))
    _draw_clutter(rng, img)
    draw = ImageDraw.Draw(img)
    for obj in objects:
        _draw_object(draw, obj)
    return Scene(split, index, img, objects, _questions(rng, objects))


def scene_text(scene: Scene) -> list[str]:
    """All question/answer strings of a scene (tokenizer training corpus)."""
    return [f"{q.question} {q.answer}" for q in scene.questions]


def describe(scene: Scene) -> str:
    """A symbolic description of the scene (text pretraining of the LLM)."""
    return "; ".join(f"{o.colour} {o.shape} {o.glyph} {o.position}" for o in scene.objects)
