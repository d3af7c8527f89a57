"""Out-of-scope questions for SliME-Nano and the one fixed sentence it answers them with.

Three kinds (issue #18 item 2): free-form requests (descriptions, captions, stories), objects and concepts
outside Nano's vocabulary (animals, vehicles, people, colours and shapes it was not taught, scene-level
questions), and questions about text it cannot read (signs, books, screens). The word pools and the phrasings
of the free-form, scene and reading questions are split three ways by a fixed hash (~60% ``train``, ~10% ``val``,
~30% ``heldout``): training uses the train part, steps/LR are chosen on ``val``, and the held-out rate measures
whether the model learnt *what it can answer* rather than a list of questions. The templates that mirror an in-scope family ("Is there a {n}?") occur in both halves; only
the unknown words they carry are split.
Every in-scope question of data.py names only the six shapes and six colours; nothing here does both.
"""

from __future__ import annotations

import hashlib
import random

from models.nano import data

SENTENCE = ("I can only answer about the shapes: what colour, what shape, what is written on it, how many, "
            "is there one, and where.")
FAMILY = "out_of_scope"

FREE_FORM = (
    "Describe this image.", "What is in this picture?", "What is happening here?", "Tell me about this scene.",
    "Write a caption for this image.", "Summarize the image.", "What do you see?", "Describe the scene in detail.",
    "Give me a short description of the photo.", "What is this a picture of?", "Tell me a story about this image.",
    "What is the main subject of the image?", "Explain this picture.", "What is going on in this photo?",
    "Can you describe what you see?", "Write a poem about this picture.", "What is this image about?",
    "Describe the background.", "What kind of place is this?", "What mood does this image have?",
    "List everything in the image.", "Give this picture a title.", "Who took this photo?",
    "Where was this picture taken?", "Is this a good photo?", "What style is this image?",
    "How would you describe the lighting?", "What is interesting about this picture?",
    "Describe the image for a blind person.", "What happened before this photo was taken?",
)
SCENE_QUESTIONS = (
    "What time is it?", "What is the weather like?", "Is it day or night?", "What season is it?",
    "What country is this?", "What city is this?", "Who is in the picture?", "What is the person doing?",
    "How old is the man?", "Is the woman happy?", "What sport is being played?", "What is the dog doing?",
    "What animal is this?", "What brand is the car?", "What food is on the plate?", "Is anyone smiling?",
    "What room is this?", "Is this indoors or outdoors?", "What is the man holding?", "Is the door open?",
    "How fast is the car going?", "What is the cat looking at?", "What game are they playing?",
    "What instrument is the girl playing?", "Is the light on?", "What year was this taken?",
)
READING = (
    "What does the sign say?", "Read the text in this image.", "What is the title of the book?",
    "What word is written here?", "Transcribe the text.", "What language is the text in?",
    "What does the label say?", "What is written on the screen?", "What is the name of the shop?",
    "What number is on the bus?", "What does the poster say?", "Read the license plate.",
    "What is printed on the shirt?", "What does the headline say?", "What is the price on the tag?",
    "What does the banner say?", "Read the words on the wall.", "What is written on the board?",
    "What is the phone number on the sign?", "What does the note say?", "Read the menu.",
    "What street name is shown?", "What is written on the cup?", "What does the caption say?",
)
NOUNS = (
    "dog", "cat", "horse", "cow", "bird", "fish", "rocket", "car", "bus", "truck", "bicycle", "train", "boat",
    "plane", "person", "man", "woman", "child", "tree", "flower", "house", "building", "chair", "table", "bed",
    "lamp", "phone", "laptop", "book", "clock", "cup", "bottle", "apple", "banana", "pizza", "cake", "ball",
    "kite", "umbrella", "hat", "shoe", "bag", "key", "door", "window", "mountain", "river", "cloud", "sun",
    "moon", "giraffe", "elephant", "zebra", "sheep", "bear", "duck", "spoon", "knife", "guitar", "piano",
    "television", "robot", "sandwich", "carrot", "mouse", "rabbit", "lion", "tiger", "monkey", "snake",
    "bridge", "fence", "road", "flag", "candle", "balloon", "ladder", "pencil", "camera", "helmet",
)
OTHER_COLOURS = ("pink", "brown", "black", "white", "grey", "cyan", "magenta", "gold", "silver", "beige",
                 "navy", "maroon", "violet", "turquoise", "teal", "olive")
OTHER_SHAPES = ("hexagon", "oval", "rectangle", "pentagon", "heart", "arrow", "crescent", "octagon", "ring",
                "spiral", "trapezoid", "rhombus", "cube", "sphere", "cone", "moon shape")
# In-scope templates reused with a word Nano does not know (the question is then out of scope).
NOUN_TEMPLATES = (
    "Is there a {n}?", "How many {n}s are there?", "What colour is the {n}?", "Where is the {n}?",
    "What is written on the {n}?", "What shape is the {n}?", "Is there a {n} in the picture?",
    "Can you see a {n}?", "What is the {n} doing?", "How big is the {n}?", "What colour are the {n}s?",
    "Where are the {n}s?", "Count the {n}s.", "Is the {n} on the left?", "Which {n} is bigger?",
)
COLOUR_TEMPLATES = (
    "Is there a {c} {s}?", "How many {c} objects are there?", "What shape is the {c} object?",
    "Where is the {c} {s}?", "What is written on the {c} {s}?", "Is there a {c} object?",
)
SHAPE_TEMPLATES = (
    "What colour is the {o}?", "How many {o}s are there?", "Where is the {o}?", "Is there a {o}?",
    "What is written on the {o}?", "Is there a {c} {o}?",
)


SPLITS = ("train", "val", "heldout")


def _side(text: str) -> str:
    """``train`` (hash digit 0-5), ``val`` (6) or ``heldout`` (7-9) for a pool entry."""
    h = int.from_bytes(hashlib.sha256(f"nano-oos/{text}".encode()).digest()[:4], "little") % 10
    return "train" if h < 6 else "val" if h == 6 else "heldout"


def _half(pool: tuple[str, ...], split: str) -> list[str]:
    """The part of ``pool`` that belongs to ``split`` (every pool has entries in each part; tests check it)."""
    if split not in SPLITS:
        raise ValueError(f"out-of-scope split {split!r} (expected one of {SPLITS})")
    return [x for x in pool if _side(x) == split]


def question(rng: random.Random, split: str) -> str:
    """One out-of-scope question of ``split`` (``train``, ``val`` or ``heldout``)."""
    kind = rng.random()
    if kind < 0.2:
        return rng.choice(_half(FREE_FORM, split))
    if kind < 0.35:
        return rng.choice(_half(SCENE_QUESTIONS, split))
    if kind < 0.5:
        return rng.choice(_half(READING, split))
    if kind < 0.75:
        return rng.choice(NOUN_TEMPLATES).format(n=rng.choice(_half(NOUNS, split)))
    if kind < 0.875:
        return rng.choice(COLOUR_TEMPLATES).format(
            c=rng.choice(_half(OTHER_COLOURS, split)), s=rng.choice(data.SHAPES))
    return rng.choice(SHAPE_TEMPLATES).format(
        o=rng.choice(_half(OTHER_SHAPES, split)), c=rng.choice(data.COLOUR_NAMES))


def questions(split: str, index: int, count: int) -> list[data.Question]:
    """``count`` distinct out-of-scope questions for scene ``index`` of ``split`` (deterministic)."""
    rng = random.Random(int.from_bytes(hashlib.sha256(f"nano-oos/{split}/{index}".encode()).digest()[:8], "little"))
    out: list[str] = []
    while len(out) < count:
        q = question(rng, split)
        if q not in out:
            out.append(q)
    return [data.Question(FAMILY, q, SENTENCE, None) for q in out]


def heldout_set(scenes: int = 150, per_scene: int = 2) -> list[tuple[int, data.Question]]:
    """The held-out out-of-scope set: (heldout scene index, question) pairs, scenes 0..``scenes``-1."""
    return [(i, q) for i in range(scenes) for q in questions("heldout", i, per_scene)]


def val_set(scenes: int = 100, per_scene: int = 2) -> list[tuple[int, data.Question]]:
    """The validation out-of-scope set (steps/LR choices): (val scene index, question) pairs."""
    return [(i, q) for i in range(scenes) for q in questions("val", i, per_scene)]
