// The reward model: backbone + one-output head; see RewardModel.h.
#include "align/RewardModel.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/LmLoss.h"
#include "models/Lora.h"
#include "tokenize/ChatTemplate.h"
#include "tokenize/Tokenizer.h"

#include <ATen/ATen.h>

namespace fts {

RewardModelImpl::RewardModelImpl(std::shared_ptr<DecoderModel> decoder)
    : m_decoder(std::move(decoder))
{
    // The backbone's own submodules are registered here directly, so parameter names stay those
    // of the checkpoint ("transformer.h.0..." / "model.layers.0...") plus "score.weight".
    for (const auto& child : m_decoder->named_children())
        register_module(child.key(), child.value());
    const int64_t hidden = m_decoder->config().hiddenSize;
    m_score = register_module("score", Projection(hidden, 1, /*bias=*/false));
    torch::NoGradGuard noGrad;
    m_score->weight.normal_(0, 1.0 / std::sqrt(double(hidden + 1)));
}

RewardModelImpl::RewardModelImpl(SequenceClassifier encoder) : m_encoder(std::move(encoder))
{
    for (const auto& child : m_encoder->named_children())
        register_module(child.key(), child.value());
}

at::Tensor RewardModelImpl::forward(const at::Tensor& ids, const at::Tensor& mask)
{
    if (m_decoder) {
        const at::Tensor hidden = decoderHiddenStates(*m_decoder, ids, mask); // [B, T, C]
        return m_score(lastTokenState(hidden, mask)).squeeze(-1);             // [B, C] -> [B]
    }
    return m_encoder->forward(ids, mask).squeeze(-1); // [B, 1] -> [B]
}

QStringList RewardModelImpl::headModules() const
{
    return m_decoder ? QStringList{QStringLiteral("score")} : m_encoder->headModules();
}

std::vector<int64_t> RewardModelImpl::encode(const Tokenizer& tokenizer, const QString& modelDir,
                                             const QString& prompt, const QString& response,
                                             int maxLength) const
{
    if (m_decoder) {
        const RenderedChat chat = renderChat(
            {{QStringLiteral("user"), prompt}, {QStringLiteral("assistant"), response}},
            chatFormatForModel(modelDir, ChatStyle::Plain), /*addGenerationPrompt=*/false);
        EncodeOptions options;
        options.addSpecialTokens = false;
        options.maxLength = maxLength;
        options.truncationSide = TruncationSide::Left;
        return tokenizer.encode(chat.text, {}, options).ids;
    }
    EncodeOptions options;
    options.maxLength = maxLength;
    return tokenizer.encode(prompt, response, options).ids;
}

RewardModel loadRewardModel(const QString& modelDir, const Hyperparameters& hp)
{
    const ModelConfig config = ModelConfig::load(modelDir);
    RewardModel model{nullptr};
    if (config.isDecoder()) {
        Hyperparameters full = hp;
        full.method = QStringLiteral("full"); // freezing and adapters are applied below, once
        model = RewardModel(loadDecoderForMethod(modelDir, full));
    } else {
        model = RewardModel(loadSequenceClassifier(modelDir, QStringList{QStringLiteral("reward")},
                                                   ProblemType::Regression));
    }
    if (hp.method == QLatin1String("freeze")) {
        std::vector<std::shared_ptr<torch::nn::Module>> frozen;
        std::vector<std::shared_ptr<torch::nn::Module>> layers;
        if (model->isDecoder()) {
            frozen = model->decoder()->embeddings();
            layers = model->decoder()->layers();
        } else {
            frozen = {model->encoder()->encoder()->embeddings()};
            layers = model->encoder()->encoder()->layers();
        }
        for (int i = 0; i < hp.freezeLayers && i < int(layers.size()); ++i)
            frozen.push_back(layers[size_t(i)]);
        freezeModules(frozen);
    } else if (hp.method == QLatin1String("lora")) {
        LoraConfig lora;
        lora.rank = hp.loraRank;
        lora.alpha = hp.loraAlpha;
        lora.dropout = hp.loraDropout;
        lora.targetModules =
            !hp.loraTargets.isEmpty() ? hp.loraTargets
            : model->isDecoder()
                ? defaultDecoderLoraTargets(config.family)
                : (config.family == ModelFamily::DistilBert
                       ? QStringList{QStringLiteral("q_lin"), QStringLiteral("v_lin")}
                       : QStringList{QStringLiteral("query"), QStringLiteral("value")});
        lora.modulesToSave = model->headModules();
        lora.taskType = QStringLiteral("SEQ_CLS");
        applyLora(*model, lora);
        freezeAllButAdapters(*model, model->headModules());
    } else if (hp.method != QLatin1String("full")) {
        throw Error(QStringLiteral("Method '%1' does not apply to reward models: use full, "
                                   "freeze or lora.")
                        .arg(hp.method));
    }
    return model;
}

} // namespace fts
