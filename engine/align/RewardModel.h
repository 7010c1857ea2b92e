// A scalar reward head on a decoder or encoder backbone, with Hugging Face's weight names
// (GPT2/LlamaForSequenceClassification's "score", BERT-style "classifier" with one output).
#pragma once

#include "models/Decoder.h"
#include "models/SequenceClassifier.h"
#include "train/Hyperparameters.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <QString>
#include <QStringList>

#include <memory>

namespace fts {

class Tokenizer;

class RewardModelImpl : public torch::nn::Module
{
public:
    // Decoder backbone: the reward is score(final hidden state of the last real token).
    explicit RewardModelImpl(std::shared_ptr<DecoderModel> decoder);
    // Encoder backbone: a one-output regression head on the classifier's pooled features.
    explicit RewardModelImpl(SequenceClassifier encoder);

    // ids/mask [B, T], right-padded -> rewards [B]
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask);

    bool isDecoder() const { return m_decoder != nullptr; }
    std::shared_ptr<DecoderModel> decoder() const { return m_decoder; }
    SequenceClassifier encoder() const { return m_encoder; }
    // The head's top-level module names (LoRA's modules_to_save).
    QStringList headModules() const;
    // Token ids of prompt + response as the backbone reads them: the decoder's chat template
    // (prompt as user turn, response as assistant reply), or the encoder's pair encoding
    // [CLS] prompt [SEP] response [SEP]. Keeps the last `maxLength` tokens for decoders (the end
    // of the answer matters most) and the first for encoders.
    std::vector<int64_t> encode(const Tokenizer& tokenizer, const QString& modelDir,
                                const QString& prompt, const QString& response,
                                int maxLength) const;

private:
    std::shared_ptr<DecoderModel> m_decoder;
    SequenceClassifier m_encoder{nullptr};
    Projection m_score{nullptr};
};
TORCH_MODULE(RewardModel);

// A reward model on the folder's backbone, prepared for hp.method (full, freeze, lora; the head
// always trains). Call at::manual_seed first for a reproducible head.
RewardModel loadRewardModel(const QString& modelDir, const Hyperparameters& hp);

} // namespace fts
