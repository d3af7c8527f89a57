"""The export loaders reject what their trainers would fail on (so the integration test that runs them over real
exports can fail): a `system` mapping over records without that column (LLaMA-Factory's KeyError: 'system'), two
`<image>` in a LLaVA record, an image path leaving the folder, and a Parquet image column without the Image feature."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from models.tests.export_loaders import ExportError, load_llava, load_parquet, load_sharegpt


def _png(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', (16, 12), (200, 10, 10)).save(path)
    return path.read_bytes()


def _conv(question: str) -> list[dict[str, str]]:
    return [{'from': 'human', 'value': question}, {'from': 'gpt', 'value': 'ok'}]


def test_sharegpt_system_mapping_without_the_column_raises_key_error(tmp_path: Path) -> None:
    _png(tmp_path / 'images' / 'a.png')
    records = [{'id': 'a', 'conversations': _conv('<image>\nq'), 'images': ['images/a.png']}]
    (tmp_path / 'train.json').write_text(json.dumps(records))
    entry = {'file_name': 'train.json', 'formatting': 'sharegpt',
             'columns': {'messages': 'conversations', 'images': 'images', 'system': 'system'}}
    (tmp_path / 'dataset_info.json').write_text(json.dumps({'x': entry}))
    with pytest.raises(KeyError, match='system'):
        load_sharegpt(tmp_path)
    del entry['columns']['system']
    (tmp_path / 'dataset_info.json').write_text(json.dumps({'x': entry}))
    assert load_sharegpt(tmp_path)['x'][0]['system'] == ''


@pytest.mark.parametrize('record, message', [
    ({'id': 'two', 'image': 'images/a.png', 'conversations': _conv('<image>\n<image> q')}, '2 <image> for 1 image'),
    ({'id': 'out', 'image': '../a.png', 'conversations': _conv('<image>\nq')}, 'not inside the folder'),
    ({'id': 'none', 'image': 'images/missing.png', 'conversations': _conv('<image>\nq')}, 'missing'),
    ({'id': 'order', 'conversations': [{'from': 'gpt', 'value': 'a'}, {'from': 'human', 'value': 'q'}]}, 'alternate'),
])
def test_llava_loader_rejects_what_llava_training_cannot_read(tmp_path: Path, record: dict, message: str) -> None:
    _png(tmp_path / 'images' / 'a.png')
    (tmp_path / 'train.json').write_text(json.dumps([record]))
    with pytest.raises(ExportError, match=message):
        load_llava(tmp_path)


def test_parquet_needs_the_image_feature(tmp_path: Path) -> None:
    png = _png(tmp_path / 'a.png')
    image = pa.array([{'bytes': png, 'path': 'a.png'}], type=pa.struct([('bytes', pa.binary()), ('path', pa.string())]))
    conv = pa.array([_conv('<image>\nq')])
    pq.write_table(pa.table({'id': ['a'], 'image': image, 'conversations': conv, 'system': [None]}), tmp_path / 'train.parquet')
    with pytest.raises(ExportError, match='not Image'):
        load_parquet(tmp_path)
