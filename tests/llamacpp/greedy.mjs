// Greedy continuations of prompts by llama.cpp (the prebuilt build that ships in npm's
// node-llama-cpp), printed as JSON: [{prompt, prompt_ids, ids, text}]. No BOS is put before the
// prompt, as the studio's own generation of a plain prompt puts none.
// Usage: node greedy.mjs MODEL.gguf PROMPTS.json MAX_NEW_TOKENS
import {LlamaModel, LlamaContext} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, promptsFile, maxNew] = process.argv.slice(2);
const model = new LlamaModel({modelPath, threads: 2});
const results = [];
for (const prompt of JSON.parse(fs.readFileSync(promptsFile, "utf8"))) {
  const context = new LlamaContext({model, contextSize: 512, threads: 2, prependBos: false});
  const promptIds = context.encode(prompt);
  const ids = [];
  for await (const token of context.evaluate(promptIds, {temperature: 0})) {
    if (token === context.getEosToken() || ids.length >= Number(maxNew))
      break;
    ids.push(token);
  }
  results.push({prompt, prompt_ids: Array.from(promptIds), ids,
                text: context.decode(Uint32Array.from(ids))});
}
console.log(JSON.stringify(results));
