"""Small byte-level BPE tokenizers (HF `tokenizers`) with Llama-3 or Llama-2 style special tokens, for tiny and nano models."""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                   "<|pad|>"]
VICUNA_SPECIALS = ["<unk>", "<s>", "</s>"]

DEFAULT_CORPUS = [
    "What color is the small square in the top left corner?",
    "How many circles are there? There are three red circles and one blue triangle.",
    "Read the letter written on the green star. The letter is K.",
    "Is there a yellow hexagon? Yes, near the bottom right, next to the digit 7.",
    "Describe the image in detail, including every shape, colour, glyph and its position.",
    "The quick brown fox jumps over the lazy dog, 0123456789, A B C D E F G H I J K L M N O P Q R S T U V W X Y Z.",
    "user assistant system: answer the question using a single word or phrase.",
]


def train_bpe_tokenizer(corpus: Iterable[str] = DEFAULT_CORPUS, vocab_size: int = 384, style: str = "llama3",
                        add_bos: bool = True) -> Tokenizer:
    """Train a ByteLevel BPE. style llama3: `<|begin_of_text|>`… specials (ids 0-5); vicuna: `<unk>`,`<s>`,`</s>`.
    With add_bos, a TemplateProcessing post-processor prepends BOS (like Meta's later Llama-3 tokenizer.json)."""
    specials = LLAMA3_SPECIALS if style == "llama3" else VICUNA_SPECIALS
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus) * 4, trainer=trainer)
    bos = specials[0] if style == "llama3" else "<s>"
    bos_id = tok.token_to_id(bos)
    if add_bos:
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, bos_id)]),
        ])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def special_ids(tok: Tokenizer, style: str = "llama3") -> dict[str, int]:
    """bos / eos / pad / separator ids of a tokenizer trained by train_bpe_tokenizer."""
    if style == "llama3":
        names = {"bos": "<|begin_of_text|>", "eos": "<|eot_id|>", "eos2": "<|end_of_text|>", "pad": "<|pad|>"}
    else:
        names = {"bos": "<s>", "eos": "</s>", "eos2": "</s>", "pad": "<unk>"}
    out = {k: int(tok.token_to_id(v)) for k, v in names.items()}
    sep = tok.encode(",", add_special_tokens=False).ids
    out["separator"] = int(sep[-1])
    return out
