// Causal-LM log-probabilities of chosen tokens, the answer-only loss, and decoder hidden states.
#pragma once

#include "align/SftData.h"

#include <ATen/core/Tensor.h>

#include <vector>

namespace fts {

class DecoderModel;

// log p(ids[t] | ids[<t]) for t >= 1: logits [B, T, V], ids [B, T] -> [B, T-1] fp32.
at::Tensor tokenLogProbs(const at::Tensor& logits, const at::Tensor& ids);

// SFT examples as one right-padded batch: ids (padded with `padId`), mask and target [B, T]
// int64, T the longest example rounded up to a multiple of 8. The trainer and the evaluation of a
// run (TextGenerator::replyLoss) build their batches alike, so their losses agree.
struct SftBatch
{
    at::Tensor ids, mask, target;
};
SftBatch makeSftBatch(const std::vector<SftExample>& examples, const std::vector<int>& indices,
                      int64_t padId);

// Mean negative log-likelihood over the tokens where target [B, T] is 1 (the answer tokens; the
// first column is never a target as nothing predicts it). Also returns the token count.
at::Tensor maskedNll(const at::Tensor& logits, const at::Tensor& ids, const at::Tensor& target,
                     int64_t* tokens = nullptr);

// Σ_t target[t] · log p(ids[t] | ids[<t]) per row [B]: the log-probability of each answer.
at::Tensor sequenceLogProbs(const at::Tensor& logits, const at::Tensor& ids,
                            const at::Tensor& target);

// The final hidden states [B, T, C] (after the last norm, before the LM head) of a GPT-2 or
// Llama-style model, computed from the family's public blocks exactly as its forward() does, so
// a reward or value head can read them. Throws fts::Error for another DecoderModel subclass.
at::Tensor decoderHiddenStates(DecoderModel& model, const at::Tensor& ids, const at::Tensor& mask);

// The hidden state of each row's last real token: hidden [B, T, C], mask [B, T] right-padded.
at::Tensor lastTokenState(const at::Tensor& hidden, const at::Tensor& mask);

} // namespace fts
