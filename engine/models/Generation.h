// Text generation: greedy or sampled decoding over a KV cache, with streaming and stops.
#pragma once

#include "models/Decoder.h"

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace fts {

struct GenerationOptions
{
    int64_t maxNewTokens = 64;
    bool sample = false;            // false: greedy (argmax); true: sample after the filters below
    double temperature = 1.0;       // > 0; divides the logits before sampling
    int64_t topK = 0;               // keep the k most likely tokens; 0 = off
    double topP = 1.0;              // nucleus (Holtzman et al. 2019): smallest set with mass >= p
    double repetitionPenalty = 1.0; // CTRL (Keskar et al. 2019); 1 = off, > 1 discourages repeats
    std::vector<int64_t> stopTokenIds;
    std::vector<std::vector<int64_t>> stopSequences; // token-id sequences
    // > 0: ids at or above it are never chosen. Checkpoints often pad the embedding matrix beyond
    // the tokenizer's vocabulary; those rows decode to nothing.
    int64_t tokenizerVocab = 0;
    // The same seed, prompt and options give the same sample.
    uint64_t seed = 0;
    // false recomputes the whole sequence every step: slower, a reference for the cache.
    bool useCache = true;
    // Return the model's raw next-token logits of every step.
    bool keepLogits = false;
    // Called with each new token (row 0 for a single prompt); returning false stops that row.
    std::function<bool(size_t row, int64_t token)> onToken;
    // Checked before every token; true ends generation for all rows.
    std::function<bool()> isCancelled;
};

enum class StopReason { MaxNewTokens, ContextFull, StopToken, StopSequence, Callback, Cancelled };

struct GenerationResult
{
    // The new tokens, including the stop token or stop sequence that ended generation (as HF does).
    std::vector<int64_t> tokens;
    StopReason reason = StopReason::MaxNewTokens;
    // With keepLogits: the model's next-token logits [V] fp32 per new token, before processing.
    std::vector<at::Tensor> stepLogits;
};

// Generates a continuation of `promptIds` (prefill once, then one token per step through the KV
// cache). Runs in eval mode without autograd and restores the model's mode afterwards. Throws
// fts::Error for an empty prompt, ids outside the vocabulary or invalid options.
GenerationResult generate(DecoderModel& model, const std::vector<int64_t>& promptIds,
                          const GenerationOptions& options);

// Several prompts at once, left-padded with `padId` to the longest; rows stop independently.
std::vector<GenerationResult> generateBatch(DecoderModel& model,
                                            const std::vector<std::vector<int64_t>>& prompts,
                                            const GenerationOptions& options, int64_t padId = 0);

// The decoding steps, exposed so they can be checked on their own. logits: [V] fp32.
// Every token in `seen` has its logit divided by `penalty` if positive, multiplied if negative.
at::Tensor applyRepetitionPenalty(const at::Tensor& logits, const std::vector<int64_t>& seen,
                                  double penalty);
at::Tensor topKFilter(const at::Tensor& logits, int64_t k); // the rest set to -inf
at::Tensor topPFilter(const at::Tensor& logits, double p);  // the rest set to -inf
// Repetition penalty, then argmax, or temperature / top-k / top-p and a draw from `generator`.
int64_t chooseToken(const at::Tensor& logits, const std::vector<int64_t>& seen,
                    const GenerationOptions& options, at::Generator& generator);

} // namespace fts
