"""Loaders for SliME Studio's export folders, each reading a format the way the trainer that consumes it does, and
all of them through the Hugging Face `datasets` package. Used by test/integration/exportLoaders.test.ts (which
exports a real dataset with the app's worker and runs `python -m models.tests.export_loaders FOLDER FORMAT`) and by
models/tests/test_export_loaders.py (which checks that each loader rejects what its trainer would choke on).

- llava: modelled on LLaVA's supervised dataset: the JSON list is read whole; a record with `image` has it opened
  from the image folder (here the export folder; the path must be relative and stay inside) and converted to RGB;
  the prompt is split on `<image>`, so a record with an image needs exactly one `<image>` and one without needs
  none; human/gpt turns alternate from the human; the token is then moved to the front of its turn followed by a
  newline (LLaVA's preprocess_multimodal), which must leave the text of our exports unchanged.
- sharegpt: modelled on LLaMA-Factory: dataset_info.json names each file and its column mapping; every mapped
  column is read from every record (a mapping for a column the records lack raises KeyError); roles alternate
  user/assistant; `<image>` count equals the number of images, which resolve against the dataset folder.
- openai: JSON lines of role/content messages (optional leading system) plus `images`.
- coco: the `images` and `annotations` arrays; every box inside its image, every image file present.
- parquet: `datasets.load_dataset("parquet")` must give an `Image` feature; images decode with Pillow.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')

import datasets  # noqa: E402
from PIL import Image  # noqa: E402

IMAGE_TOKEN = '<image>'


class ExportError(ValueError):
    """An export a trainer could not load, with the record it failed on."""


def _load(kind: str, file: Path, **kwargs: Any) -> datasets.Dataset:
    if not file.is_file():
        raise ExportError(f'missing file {file.name}')
    cache = tempfile.mkdtemp(prefix='slime-hf-cache-')
    return datasets.load_dataset(kind, data_files=str(file), split='train', cache_dir=cache, **kwargs)


def _image(folder: Path, relative: str, record: str) -> list[int]:
    """Opens an image the way the trainers do (relative to the folder, RGB); returns [width, height]."""
    if os.path.isabs(relative) or '..' in Path(relative).parts:
        raise ExportError(f'{record}: image path {relative} is not inside the folder')
    path = folder / relative
    if not path.is_file():
        raise ExportError(f'{record}: image {relative} is missing')
    with Image.open(path) as im:
        rgb = im.convert('RGB')
        return [rgb.width, rgb.height]


def _alternates(roles: list[str], user: str, assistant: str, record: str) -> None:
    if len(roles) == 0 or len(roles) % 2:
        raise ExportError(f'{record}: {len(roles)} turns; a conversation needs question/answer pairs')
    for i, role in enumerate(roles):
        if role != (user if i % 2 == 0 else assistant):
            raise ExportError(f'{record}: turn {i} is {role!r}; roles must alternate from {user!r}')


def _tokens(texts: list[str]) -> int:
    return sum(t.count(IMAGE_TOKEN) for t in texts)


def _llava_normalise(value: str) -> str:
    """LLaVA's preprocess_multimodal for one sentence holding the token."""
    if IMAGE_TOKEN not in value:
        return value
    return (IMAGE_TOKEN + '\n' + value.replace(IMAGE_TOKEN, '').strip()).strip()


def load_llava(folder: Path, split: str = 'train') -> list[dict[str, Any]]:
    records = json.loads((folder / f'{split}.json').read_text(encoding='utf-8'))
    table = _load('json', folder / f'{split}.json')
    if len(table) != len(records):
        raise ExportError(f'datasets read {len(table)} rows of {len(records)} records')
    out = []
    for r in records:
        rid = str(r.get('id'))
        conv = r['conversations']
        _alternates([t['from'] for t in conv], 'human', 'gpt', rid)
        want = 1 if 'image' in r else 0
        if _tokens([t['value'] for t in conv]) != want:
            raise ExportError(f'{rid}: {_tokens([t["value"] for t in conv])} {IMAGE_TOKEN} for {want} image(s)')
        if any(IMAGE_TOKEN in t['value'] for t in conv if t['from'] == 'gpt'):
            raise ExportError(f'{rid}: {IMAGE_TOKEN} in an answer')
        size = _image(folder, r['image'], rid) if want else None
        normalised = [{'from': t['from'], 'value': _llava_normalise(t['value'])} for t in conv]
        out.append({'id': rid, 'size': size, 'conversations': normalised, 'unchanged': normalised == conv})
    return out


def load_sharegpt(folder: Path) -> dict[str, list[dict[str, Any]]]:
    info = json.loads((folder / 'dataset_info.json').read_text(encoding='utf-8'))
    result = {}
    for name, attr in info.items():
        if attr.get('formatting') != 'sharegpt':
            raise ExportError(f'{name}: formatting {attr.get("formatting")!r}')
        cols, tags = attr.get('columns', {}), attr.get('tags', {})
        rows = []
        for example in _load('json', folder / attr['file_name']):
            rid = str(example.get('id'))
            messages = example[cols.get('messages', 'conversations')]
            system = example[cols['system']] if 'system' in cols else ''
            images = example[cols['images']] if 'images' in cols else []
            role, content = tags.get('role_tag', 'from'), tags.get('content_tag', 'value')
            _alternates([m[role] for m in messages], tags.get('user_tag', 'human'), tags.get('assistant_tag', 'gpt'), rid)
            if _tokens([m[content] for m in messages]) != len(images or []):
                raise ExportError(f'{rid}: {IMAGE_TOKEN} count differs from {len(images or [])} image(s)')
            sizes = [_image(folder, p, rid) for p in images or []]
            rows.append({'id': rid, 'system': system, 'messages': [m[content] for m in messages], 'sizes': sizes})
        result[name] = rows
    return result


def load_openai(folder: Path, split: str = 'train') -> list[dict[str, Any]]:
    out = []
    for example in _load('json', folder / f'{split}.jsonl'):
        rid = str(example.get('id'))
        messages = example['messages']
        system = messages[0]['content'] if messages and messages[0]['role'] == 'system' else ''
        rest = messages[1:] if system else messages
        _alternates([m['role'] for m in rest], 'user', 'assistant', rid)
        images = example.get('images') or []
        if _tokens([m['content'] for m in rest]) != len(images):
            raise ExportError(f'{rid}: {IMAGE_TOKEN} count differs from {len(images)} image(s)')
        out.append({'id': rid, 'system': system, 'sizes': [_image(folder, p, rid) for p in images]})
    return out


def load_coco(folder: Path, split: str = 'train') -> dict[str, Any]:
    file = folder / f'coco_{split}.json'
    images = {row['id']: row for row in _load('json', file, field='images')}
    annotations = list(_load('json', file, field='annotations')) if json.loads(file.read_text())['annotations'] else []
    for row in images.values():
        if _image(folder, row['file_name'], f'image {row["id"]}') != [row['width'], row['height']]:
            raise ExportError(f'image {row["id"]}: size differs from the file')
    for a in annotations:
        image = images.get(a['image_id'])
        x, y, w, h = a['bbox']
        if image is None or x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > image['width'] or y + h > image['height']:
            raise ExportError(f'annotation {a["id"]}: box {a["bbox"]} outside its image')
    return {'images': len(images), 'annotations': len(annotations)}


def load_parquet(folder: Path, split: str = 'train') -> list[dict[str, Any]]:
    table = _load('parquet', folder / f'{split}.parquet')
    if not isinstance(table.features.get('image'), datasets.Image):
        raise ExportError(f'image feature is {table.features.get("image")!r}, not Image')
    raw = table.cast_column('image', datasets.Image(decode=False))
    out = []
    for decoded, stored in zip(table, raw):
        rid = str(decoded['id'])
        conv = decoded['conversations']
        _alternates([t['from'] for t in conv], 'human', 'gpt', rid)
        image = decoded['image']
        if _tokens([t['value'] for t in conv]) != (1 if image is not None else 0):
            raise ExportError(f'{rid}: {IMAGE_TOKEN} count differs from the image')
        sha = hashlib.sha256(stored['image']['bytes']).hexdigest() if image is not None else None
        size = list(image.convert('RGB').size) if image is not None else None
        out.append({'id': rid, 'size': size, 'sha256': sha, 'system': decoded['system'], 'conversations': conv})
    return out


LOADERS = {'llava': load_llava, 'sharegpt': load_sharegpt, 'openai': load_openai, 'coco': load_coco, 'parquet': load_parquet}


def main(argv: list[str]) -> int:
    folder, fmt = Path(argv[0]), argv[1]
    try:
        result = LOADERS[fmt](folder)
    except (ExportError, KeyError) as e:
        print(json.dumps({'ok': False, 'error': f'{type(e).__name__}: {e}'}))
        return 1
    print(json.dumps({'ok': True, 'datasets': datasets.__version__, 'result': result}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
