"""SliME-Nano tokenizer: Llama-3 specials, BOS post-processor, llama3 template, separator, small vocabulary."""

from __future__ import annotations

from models.nano.tokenizer import SPECIALS, special_ids, train_tokenizer
from models.slime.template import IMAGE_TOKEN_INDEX, build_prompt, tokenize_with_image, user_message


def test_specials_template_and_bos() -> None:
    tok = train_tokenizer(n_scenes=200)
    assert tok.get_vocab_size() <= 1000
    ids = special_ids(tok)
    assert all(tok.token_to_id(s) is not None for s in SPECIALS)
    assert tok.decode([ids["separator"]]) == ","
    prompt = build_prompt("llama3", [("user", user_message("What is written on the red star?"))])
    seq = tokenize_with_image(prompt, tok)
    assert seq[0] == ids["bos"] and seq.count(ids["bos"]) == 1
    assert seq[1] == tok.token_to_id("<|start_header_id|>")
    assert seq.count(IMAGE_TOKEN_INDEX) == 1
    assert tok.decode(seq[-2:]).endswith("\n\n")
    assert ids["eot"] in seq
    answer = tok.encode("bottom right", add_special_tokens=False).ids
    assert tok.decode(answer) == "bottom right"
