"""SliME-Nano tokenizer: a small ByteLevel BPE trained on the synthetic text, with the Llama-3 chat specials.

The post-processor prepends `<|begin_of_text|>` (as Meta's later Llama-3 tokenizer.json does), so the spec
section 5 rule "BOS from the first chunk only" applies unchanged. The separator is the plain "," token.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from models.nano import data
from models.slime.template import build_prompt, user_message

BOS, EOS, START, END, EOT, PAD = (
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
    "<|finetune_right_pad_id|>",
)
SPECIALS = [BOS, EOS, START, END, EOT, PAD]
VOCAB_SIZE = 512


def corpus(n_scenes: int = 3000) -> list[str]:
    """Training text: every question/answer of the first train scenes, wrapped in the llama3 template."""
    lines: list[str] = []
    for i in range(n_scenes):
        scene = data.make_scene("train", i)
        for q in scene.questions:
            lines.append(build_prompt("llama3", [("user", user_message(q.question)), ("assistant", q.answer)]))
        lines.append(data.describe(scene))
    for words in (data.SHAPES, data.COLOUR_NAMES, data.GLYPHS, data.POSITIONS, data.COUNT_WORDS, ("yes", "no")):
        lines.extend(words)
    return lines


def train_tokenizer(n_scenes: int = 3000, vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    """Train the BPE (deterministic for a given corpus) and attach the BOS post-processor."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(n_scenes), trainer=trainer)
    bos = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS}:0 $A:0", pair=f"{BOS}:0 $A:0 {BOS}:1 $B:1", special_tokens=[(BOS, bos)]
    )
    return tok


def special_ids(tok: Tokenizer) -> dict[str, int]:
    """Ids the model config and manifest need: bos, eos (eot, end_of_text), pad, separator ","."""
    ids = {name: tok.token_to_id(t) for name, t in
           (("bos", BOS), ("eot", EOT), ("end_of_text", EOS), ("pad", PAD), ("separator", ","))}
    missing = [k for k, v in ids.items() if v is None]
    if missing:
        raise ValueError(f"tokenizer lacks tokens: {missing}")
    return {k: int(v) for k, v in ids.items()}


def load_or_train(path: Path, n_scenes: int = 3000) -> Tokenizer:
    """Load tokenizer.json from ``path`` or train it (on ``n_scenes`` train scenes) and save it there."""
    if path.exists():
        return Tokenizer.from_file(str(path))
    tok = train_tokenizer(n_scenes)
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return tok
