#!/usr/bin/env bash
# Loads the bundled starter decoder, exported as GGUF (F16 and Q8_0), in llama.cpp — the prebuilt
# build in npm's node-llama-cpp — and checks that llama.cpp tokenizes the prompts as the model's
# tokenizer.model does (spm_encode) and continues them greedily with the studio's own text. The
# prompts go in without BOS, as the studio continues a plain prompt (llama-cli would add one, as
# the file's add_bos_token says; chat prompts spell their markers out either way).
# Usage: scripts/check-gguf-llamacpp.sh [BUILD_DIR]   (exit 77: node, npm or the registry missing)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=$(cd "${1:-build}" && pwd)
CLI="$BUILD_DIR/bin/ftstudio-cli"
MODEL=resources/models/starter-decoder
NODE_PKG=node-llama-cpp@2.8.16 # llama.cpp b3658, prebuilt for linux-x64; runs on Node >= 18
WORK="$BUILD_DIR/llamacpp-check"

skip() { echo "SKIPPED: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed"
command -v spm_encode >/dev/null || skip "spm_encode is not installed (apt install sentencepiece)"
command -v node >/dev/null || skip "node is not installed (apt install nodejs npm)"
command -v npm >/dev/null || skip "npm is not installed (apt install npm)"
(( $(node -p 'process.versions.node.split(".")[0]') >= 18 )) || skip "node $(node -v) is older than 18"
mkdir -p "$WORK"
if [ ! -d "$WORK/node_modules/node-llama-cpp" ]; then
  (cd "$WORK" && timeout 300 npm install --ignore-scripts --no-audit --no-fund --silent "$NODE_PKG") ||
    skip "could not install $NODE_PKG from the npm registry"
fi
cp tests/llamacpp/greedy.mjs "$WORK/greedy.mjs"

PROMPTS=("The house" "Thanks for your message" "The river was" "In the morning we" "My order has not arrived" "A good answer is")
printf '%s\n' text "${PROMPTS[@]}" > "$WORK/prompts.csv"
python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${PROMPTS[@]}" > "$WORK/prompts.json"
printf '%s\n' "${PROMPTS[@]}" | spm_encode --model "$MODEL/tokenizer.model" --output_format=id > "$WORK/spm_ids.txt"
"$CLI" predict "$MODEL" "$WORK/prompts.csv" --max-new-tokens 16 --out "$WORK/studio.jsonl" >/dev/null

status=0
for quant in f16 q8_0; do
  "$CLI" export "$MODEL" --gguf "$WORK/starter-$quant.gguf" --quant "$quant" >/dev/null
  if ! (cd "$WORK" && node greedy.mjs "starter-$quant.gguf" prompts.json 16 > "llama-$quant.json" 2> "llama-$quant.log"); then
    # The prebuilt library not loading on this machine is not the export's fault.
    grep -q "Error loading\|ERR_DLOPEN\|cannot open shared object\|Illegal instruction" "$WORK/llama-$quant.log" &&
      skip "llama.cpp's prebuilt library does not load here (see $WORK/llama-$quant.log)"
    echo "FAIL: llama.cpp could not load or run starter-$quant.gguf:"; tail -20 "$WORK/llama-$quant.log"; exit 1
  fi
  python3 - "$WORK" "$quant" <<'PY' || status=1
import json, sys
work, quant = sys.argv[1], sys.argv[2]
llama = json.load(open(f"{work}/llama-{quant}.json"))
studio = [json.loads(line) for line in open(f"{work}/studio.jsonl")]
spm = [[int(t) for t in line.split()] for line in open(f"{work}/spm_ids.txt")]
n = 6
if not (len(llama) == len(studio) == len(spm) == n):
    print(f"FAIL {quant}: {len(llama)} llama.cpp results, {len(studio)} studio rows, {len(spm)} tokenizations for {n} prompts")
    sys.exit(1)
bad = 0
for l, s, ids in zip(llama, studio, spm):
    if l["prompt_ids"] != ids:
        print(f"FAIL {quant}: llama.cpp tokenizes {l['prompt']!r} as {l['prompt_ids']}, the model as {ids}")
        bad += 1
    # The studio's decoded continuation drops the leading space llama.cpp's keeps.
    if l["text"].strip() != s["generated_text"].strip():
        print(f"FAIL {quant}: {l['prompt']!r}: llama.cpp {l['text']!r} vs studio {s['generated_text']!r}")
        bad += 1
print(f"{quant}: {len(llama) - bad} of {len(llama)} prompts tokenized and continued alike by llama.cpp and the studio")
sys.exit(1 if bad else 0)
PY
done
exit $status
