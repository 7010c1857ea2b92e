// Decoder plumbing shared by the families: masks and positions, attention core, loading and saving.
#include "models/Decoder.h"

#include "Error.h"
#include "models/Activations.h"
#include "models/Gpt2.h"
#include "models/Llama.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QStringList>

#include <cmath>
#include <limits>
#include <set>

namespace fts {
namespace {

QString familyName(const ModelConfig& config)
{
    return config.modelType.isEmpty() ? QStringLiteral("decoder") : config.modelType;
}

} // namespace

void KvCache::clear()
{
    keys.clear();
    values.clear();
    mask = at::Tensor();
}

std::pair<at::Tensor, at::Tensor> KvCache::append(size_t layer, const at::Tensor& k,
                                                  const at::Tensor& v)
{
    if (keys.size() <= layer) {
        keys.resize(layer + 1);
        values.resize(layer + 1);
    }
    // [B, n_kv, S_past, hd] + [B, n_kv, T, hd] -> [B, n_kv, S_past + T, hd]
    keys[layer] = keys[layer].defined() ? at::cat({keys[layer], k}, /*dim=*/2) : k;
    values[layer] = values[layer].defined() ? at::cat({values[layer], v}, /*dim=*/2) : v;
    return {keys[layer], values[layer]};
}

DecoderStep prepareDecoderStep(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                               KvCache* cache)
{
    if (!inputIds.defined() || inputIds.dim() != 2 || inputIds.size(1) == 0)
        throw Error(QStringLiteral("The model needs token ids shaped [batch, length] with at least "
                                   "one token."));
    const int64_t batch = inputIds.size(0);
    const int64_t length = inputIds.size(1);
    const int64_t past = cache ? cache->length() : 0;
    if (past > 0 && cache->mask.size(0) != batch)
        throw Error(QStringLiteral("The KV cache holds %1 sequences but %2 were passed; clear the "
                                   "cache before starting a new batch.")
                        .arg(cache->mask.size(0))
                        .arg(batch));
    const auto longOpts = inputIds.options().dtype(at::kLong);
    at::Tensor full; // [B, past + T]
    if (!attentionMask.defined()) {
        const at::Tensor ones = at::ones({batch, length}, longOpts);
        full = past > 0 ? at::cat({cache->mask, ones}, 1) : ones;
    } else {
        if (attentionMask.dim() != 2 || attentionMask.size(0) != batch)
            throw Error(QStringLiteral("The attention mask must be shaped [batch, length] like the "
                                       "token ids."));
        const at::Tensor m = attentionMask.to(longOpts);
        if (m.size(1) == past + length)
            full = m;
        else if (m.size(1) == length)
            full = past > 0 ? at::cat({cache->mask, m}, 1) : m;
        else
            throw Error(QStringLiteral("The attention mask covers %1 positions; expected %2 (new "
                                       "tokens) or %3 (cached and new).")
                            .arg(m.size(1))
                            .arg(length)
                            .arg(past + length));
    }
    DecoderStep step;
    step.cache = cache;
    // Left padding shifts a row's tokens right; counting real tokens gives each one the position
    // it would have without padding (pads get 0, and are never attended to).
    step.positions = (full.cumsum(1) - 1).clamp_min(0).slice(1, past); // [B, T]
    const int64_t total = past + length;
    const at::Tensor keyIdx = at::arange(total, longOpts).unsqueeze(0);             // [1, S]
    const at::Tensor queryIdx = (at::arange(length, longOpts) + past).unsqueeze(1); // [T, 1]
    const at::Tensor causal = keyIdx.le(queryIdx);                                  // [T, S]
    step.allowed = causal.unsqueeze(0).unsqueeze(0) & full.to(at::kBool).unsqueeze(1).unsqueeze(1);
    if (cache)
        cache->mask = full;
    return step;
}

at::Tensor maskedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const at::Tensor& allowed, double dropout, bool training)
{
    const double scale = 1.0 / std::sqrt(double(q.size(-1)));
    // [B, nh, T, hd] x [B, nh, hd, S] -> [B, nh, T, S]
    at::Tensor scores = (at::matmul(q, k.transpose(-2, -1)) * scale).to(at::kFloat);
    // The most negative finite value, not -inf: a row with no visible key (a padding query) then
    // gets a uniform softmax instead of NaNs that would leak through later matmuls.
    scores = scores.masked_fill(allowed.logical_not(), std::numeric_limits<float>::lowest());
    at::Tensor probs = at::softmax(scores, /*dim=*/-1).to(q.scalar_type());
    probs = maybeDropout(probs, dropout, training);
    return at::matmul(probs, v); // [B, nh, T, S] x [B, nh, S, hd] -> [B, nh, T, hd]
}

DecoderModel::DecoderModel(ModelConfig config) : m_config(std::move(config)) {}

bool DecoderModel::isIgnorableWeight(const std::string& name) const
{
    // Tied checkpoints may still carry lm_head.weight; HF overwrites it with the embedding.
    return m_config.tieWordEmbeddings && name == "lm_head.weight";
}

void DecoderModel::loadWeights(const TensorMap& weights, const QString& source)
{
    const std::string prefix = basePrefix();
    bool hasBase = false;
    for (const auto& item : weights)
        hasBase = hasBase || item.first.rfind(prefix, 0) == 0;
    TensorMap named;
    for (const auto& [name, tensor] : weights) {
        const bool head = name.rfind("lm_head.", 0) == 0;
        const std::string full = hasBase || head ? name : prefix + name;
        if (!isIgnorableWeight(full))
            named.emplace(full, tensor);
    }
    std::set<std::string> expected;
    std::vector<std::string> missing, unexpected;
    for (const auto& item : named_parameters(/*recurse=*/true))
        expected.insert(item.key());
    for (const auto& item : named_buffers(/*recurse=*/true))
        expected.insert(item.key());
    for (const auto& name : expected)
        if (!named.count(name))
            missing.push_back(name);
    for (const auto& item : named)
        if (!expected.count(item.first))
            unexpected.push_back(item.first);
    if (!missing.empty())
        throw Error(QStringLiteral("%1 lacks %2 weight(s) this %3 model needs: %4. The file is "
                                   "incomplete or belongs to a different config.json.")
                        .arg(source)
                        .arg(missing.size())
                        .arg(familyName(m_config), weightNameList(missing)));
    if (!unexpected.empty())
        throw Error(QStringLiteral("%1 holds %2 weight(s) a %3 model with this config.json does "
                                   "not have: %4. Check that config.json belongs to these weights.")
                        .arg(source)
                        .arg(unexpected.size())
                        .arg(familyName(m_config), weightNameList(unexpected)));
    loadStateDict(*this, named);
}

TensorMap DecoderModel::weightsToSave() const
{
    // A tied lm_head is not a registered parameter, so it is left out just as HF leaves it out.
    return stateDict(*this);
}

void DecoderModel::loadFolder(const QString& modelDir)
{
    const QDir dir(modelDir);
    const QString single = dir.filePath(QStringLiteral("model.safetensors"));
    const QString index = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    if (QFile::exists(single)) {
        loadWeights(loadSafetensors(single), QDir::toNativeSeparators(single));
        return;
    }
    if (QFile::exists(index)) {
        QFile f(index);
        if (!f.open(QIODevice::ReadOnly))
            throw Error(QStringLiteral("Cannot read %1.").arg(QDir::toNativeSeparators(index)));
        const QJsonObject map = QJsonDocument::fromJson(f.readAll())
                                    .object()
                                    .value(QLatin1String("weight_map"))
                                    .toObject();
        if (map.isEmpty())
            throw Error(QStringLiteral("%1 has no \"weight_map\"; it is not a safetensors index.")
                            .arg(QDir::toNativeSeparators(index)));
        QSet<QString> shards;
        for (const QJsonValue& file : map)
            shards.insert(file.toString());
        TensorMap all;
        for (const QString& shard : shards)
            all.merge(loadSafetensors(dir.filePath(shard)));
        loadWeights(all, QDir::toNativeSeparators(index));
        return;
    }
    if (QFile::exists(dir.filePath(QStringLiteral("pytorch_model.bin"))))
        throw Error(QStringLiteral("%1 only has pytorch_model.bin, a pickle file: opening it could "
                                   "run code hidden inside, so the studio does not. Convert it to "
                                   "model.safetensors (for example with the Hugging Face "
                                   "\"convert to safetensors\" tool) and try again.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    throw Error(QStringLiteral("%1 has no model.safetensors; a Hugging Face model folder needs the "
                               "weights beside its config.json.")
                    .arg(QDir::toNativeSeparators(modelDir)));
}

void DecoderModel::saveFolder(const QString& modelDir) const
{
    if (!QDir().mkpath(modelDir))
        throw Error(QStringLiteral("Cannot create the folder %1; check that the location is "
                                   "writable.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    m_config.save(modelDir);
    saveSafetensors(QDir(modelDir).filePath(QStringLiteral("model.safetensors")), weightsToSave(),
                    {{QStringLiteral("format"), QStringLiteral("pt")}});
}

std::shared_ptr<DecoderModel> makeDecoder(const ModelConfig& config)
{
    switch (config.family) {
    case ModelFamily::Gpt2:
        return std::make_shared<Gpt2Impl>(config);
    case ModelFamily::Llama:
        return std::make_shared<LlamaImpl>(config);
    default:
        throw Error(QStringLiteral("\"%1\" is an encoder model: it classifies text but cannot "
                                   "generate it. Pick a GPT-2, Llama, Mistral or Qwen2 model.")
                        .arg(config.modelType));
    }
}

std::shared_ptr<DecoderModel> loadDecoder(const QString& modelDir)
{
    auto model = makeDecoder(ModelConfig::load(modelDir));
    model->loadFolder(modelDir);
    return model;
}

std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>>
namedProjections(const torch::nn::Module& module)
{
    std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> out;
    for (const auto& item : module.named_modules(/*name_prefix=*/std::string(),
                                                 /*include_self=*/false))
        if (auto projection = std::dynamic_pointer_cast<ProjectionImpl>(item.value()))
            out.emplace_back(item.key(), projection);
    return out;
}

} // namespace fts
