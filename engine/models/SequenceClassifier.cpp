// Classification heads per family; loading base or fine-tuned checkpoints; HF-loadable saves.
#include "models/SequenceClassifier.h"

#include "Error.h"
#include "models/Activations.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/loss.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>
#include <set>

namespace fts {
namespace {


QString architectureName(ModelFamily family)
{
    switch (family) {
    case ModelFamily::DistilBert:
        return QStringLiteral("DistilBertForSequenceClassification");
    case ModelFamily::Roberta:
        return QStringLiteral("RobertaForSequenceClassification");
    default:
        return QStringLiteral("BertForSequenceClassification");
    }
}

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.rfind(prefix, 0) == 0;
}

} // namespace

QString problemTypeName(ProblemType type)
{
    switch (type) {
    case ProblemType::MultiLabel:
        return QStringLiteral("multi_label_classification");
    case ProblemType::Regression:
        return QStringLiteral("regression");
    default:
        return QStringLiteral("single_label_classification");
    }
}

ProblemType problemTypeFromName(const QString& name)
{
    for (ProblemType t :
         {ProblemType::SingleLabel, ProblemType::MultiLabel, ProblemType::Regression})
        if (name == problemTypeName(t))
            return t;
    if (name.isEmpty())
        return ProblemType::SingleLabel;
    throw Error(QStringLiteral("problem_type \"%1\" is unknown; use single_label_classification, "
                               "multi_label_classification or regression.")
                    .arg(name));
}

SequenceClassifierImpl::SequenceClassifierImpl(const ModelConfig& config, ProblemType problem)
    : m_config(config), m_problem(problem), m_numLabels(config.labels.size())
{
    if (!config.isEncoder())
        throw Error(QStringLiteral("Text classification needs an encoder model (BERT, DistilBERT "
                                   "or RoBERTa); \"%1\" is a text generator.")
                        .arg(config.modelType));
    if (m_numLabels < 1 || (problem == ProblemType::Regression && m_numLabels != 1))
        throw Error(
            problem == ProblemType::Regression
                ? QStringLiteral("A regression model predicts one number: give it one label "
                                 "name (it has %1).")
                      .arg(m_numLabels)
                : QStringLiteral("A classifier needs at least one label; define the labels "
                                 "before training."));
    m_config.problemType = problemTypeName(problem);
    m_config.architectures = QStringList{architectureName(config.family)};
    m_dropout = config.classifierDropout >= 0 ? config.classifierDropout : config.hiddenDropout;

    m_encoder = makeEncoder(config);
    const std::string prefix = m_encoder->checkpointPrefix();
    register_module(prefix.substr(0, prefix.size() - 1), m_encoder); // "bert." -> "bert"
    const int64_t h = config.hiddenSize;
    if (config.family == ModelFamily::DistilBert) {
        m_preClassifier = register_module("pre_classifier", Projection(h, h, true));
        m_classifier = register_module("classifier", Projection(h, m_numLabels, true));
    } else if (config.family == ModelFamily::Roberta) {
        auto head = register_module("classifier", std::make_shared<torch::nn::Module>());
        m_dense = head->register_module("dense", Projection(h, h, true));
        m_classifier = head->register_module("out_proj", Projection(h, m_numLabels, true));
    } else {
        m_classifier = register_module("classifier", Projection(h, m_numLabels, true));
    }
    initHead();
}

void SequenceClassifierImpl::useEncoder(std::shared_ptr<EncoderModel> encoder)
{
    const std::string prefix = m_encoder->checkpointPrefix();
    m_encoder = replace_module(prefix.substr(0, prefix.size() - 1), std::move(encoder));
}

void SequenceClassifierImpl::initHead()
{
    torch::NoGradGuard noGrad;
    const double std = m_config.raw.value(QLatin1String("initializer_range")).toDouble(0.02);
    for (Projection p : {m_preClassifier, m_dense, m_classifier}) {
        if (!p)
            continue;
        p->weight.normal_(0.0, std);
        p->bias.zero_();
    }
}

QStringList SequenceClassifierImpl::headModules() const
{
    if (m_config.family == ModelFamily::DistilBert)
        return {QStringLiteral("pre_classifier"), QStringLiteral("classifier")};
    return {QStringLiteral("classifier")};
}

at::Tensor SequenceClassifierImpl::headFeatures(const at::Tensor& hidden,
                                                const at::Tensor& attentionMask)
{
    if (m_config.classifierPooling == QLatin1String("mean"))
        return poolFeatures(hidden, attentionMask, Pooling::Mean);
    if (m_config.family == ModelFamily::Bert)
        return m_encoder->pooledOutput(hidden);
    return hidden.select(1, 0); // [B, T, H] -> [B, H]
}

at::Tensor SequenceClassifierImpl::headOnFeatures(const at::Tensor& features)
{
    const bool training = is_training();
    if (m_config.family == ModelFamily::DistilBert)
        return m_classifier(maybeDropout(at::relu(m_preClassifier(features)), m_dropout, training));
    const at::Tensor x = maybeDropout(features, m_dropout, training);
    if (m_config.family == ModelFamily::Roberta)
        return m_classifier(maybeDropout(at::tanh(m_dense(x)), m_dropout, training));
    return m_classifier(x);
}

at::Tensor SequenceClassifierImpl::forward(const at::Tensor& inputIds,
                                           const at::Tensor& attentionMask,
                                           const at::Tensor& tokenTypeIds)
{
    const at::Tensor hidden = m_encoder->forward(inputIds, attentionMask, tokenTypeIds);
    return headOnFeatures(headFeatures(hidden, attentionMask)); // [B, labels]
}

at::Tensor SequenceClassifierImpl::loss(const at::Tensor& logits, const at::Tensor& targets) const
{
    namespace F = torch::nn::functional;
    switch (m_problem) {
    case ProblemType::Regression:
        return F::mse_loss(logits.squeeze(-1), targets.to(logits.scalar_type()));
    case ProblemType::MultiLabel:
        return F::binary_cross_entropy_with_logits(logits, targets.to(logits.scalar_type()));
    default:
        return F::cross_entropy(logits, targets.to(at::kLong));
    }
}

at::Tensor SequenceClassifierImpl::predict(const at::Tensor& logits) const
{
    switch (m_problem) {
    case ProblemType::Regression:
        return logits.squeeze(-1);
    case ProblemType::MultiLabel:
        return at::sigmoid(logits);
    default:
        return at::softmax(logits, -1);
    }
}

TensorMap loadModelWeights(const QString& modelDir)
{
    const QDir dir(modelDir);
    if (QFileInfo::exists(dir.filePath(QStringLiteral("model.safetensors"))))
        return loadSafetensors(dir.filePath(QStringLiteral("model.safetensors")));
    const QString indexPath = dir.filePath(QStringLiteral("model.safetensors.index.json"));
    if (QFileInfo::exists(indexPath)) {
        QFile f(indexPath);
        const QJsonObject map = f.open(QIODevice::ReadOnly)
                                    ? QJsonDocument::fromJson(f.readAll())
                                          .object()
                                          .value(QLatin1String("weight_map"))
                                          .toObject()
                                    : QJsonObject();
        if (map.isEmpty())
            throw Error(QStringLiteral("%1 has no \"weight_map\"; the sharded checkpoint index is "
                                       "damaged. Download the model again.")
                            .arg(QDir::toNativeSeparators(indexPath)));
        std::set<QString> shards;
        for (const QJsonValue& v : map)
            shards.insert(v.toString());
        TensorMap all;
        for (const QString& shard : shards)
            all.merge(loadSafetensors(dir.filePath(shard)));
        return all;
    }
    for (const char* pickled : {"pytorch_model.bin", "model.pt", "model.bin"})
        if (QFileInfo::exists(dir.filePath(QLatin1String(pickled))))
            throw Error(
                QStringLiteral("%1 holds its weights in %2, a Python pickle, which can run "
                               "code when opened, so the studio does not read it. Use the "
                               "model's model.safetensors version (most models on the Hugging "
                               "Face Hub have one) or convert it with safetensors' tools.")
                    .arg(QDir::toNativeSeparators(modelDir), QLatin1String(pickled)));
    throw Error(QStringLiteral("%1 has no model.safetensors (nor a sharded index); the folder is "
                               "not a complete model.")
                    .arg(QDir::toNativeSeparators(modelDir)));
}

namespace {

// Base checkpoints (BertModel) store "embeddings.x", task checkpoints "bert.embeddings.x": give
// backbone names the prefix and leave every other name (heads, cls.*) as it is.
TensorMap withFamilyPrefix(const TensorMap& weights, const std::string& prefix,
                           const TensorMap& backbone)
{
    TensorMap out;
    for (const auto& [name, tensor] : weights) {
        const bool bare = !startsWith(name, prefix) && backbone.count(prefix + name);
        out.emplace(bare ? prefix + name : name, tensor);
    }
    return out;
}

// The checkpoint's head is reused only when every head tensor (everything outside the backbone)
// is there with the right shape; otherwise (other labels, a base checkpoint) its parts are unused.
void dropUnfitHead(TensorMap& weights, const TensorMap& own, const std::string& prefix,
                   std::vector<std::string>& unused)
{
    std::vector<std::string> head;
    bool fits = true;
    for (const auto& [name, tensor] : own) {
        if (startsWith(name, prefix))
            continue;
        head.push_back(name);
        const auto it = weights.find(name);
        fits = fits && it != weights.end() && it->second.sizes().equals(tensor.sizes());
    }
    if (fits)
        return;
    for (const std::string& name : head)
        if (weights.erase(name))
            unused.push_back(name);
}

// A pooler missing from the checkpoint gets HF's init (normal(0, 0.02), zero bias), like a head.
void reinitialisePooler(torch::nn::Module& model, const std::string& pooler,
                        const std::vector<std::string>& initialised)
{
    torch::NoGradGuard noGrad;
    for (auto& item : model.named_parameters(/*recurse=*/true)) {
        if (!startsWith(item.key(), pooler))
            continue;
        if (std::find(initialised.begin(), initialised.end(), item.key()) == initialised.end())
            continue;
        if (item.key().size() > 5 && item.key().compare(item.key().size() - 5, 5, ".bias") == 0)
            item.value().zero_();
        else
            item.value().normal_(0.0, 0.02);
    }
}

} // namespace

SequenceClassifier loadSequenceClassifier(const QString& modelDir, const QStringList& labels,
                                          ProblemType problem, ClassifierLoadReport* report)
{
    ModelConfig config = ModelConfig::load(modelDir);
    if (!labels.isEmpty())
        config.labels = labels;
    else if (problem == ProblemType::Regression)
        config.labels = QStringList{QStringLiteral("score")};
    else if (config.labels.isEmpty())
        throw Error(QStringLiteral("%1 has no labels (id2label) of its own: say which labels the "
                                   "classifier should predict.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    SequenceClassifier model(config, problem);
    const std::string prefix = model->encoder()->checkpointPrefix();
    const TensorMap own = stateDict(*model);
    TensorMap weights = withFamilyPrefix(loadModelWeights(modelDir), prefix, own);

    ClassifierLoadReport result;
    dropUnfitHead(weights, own, prefix, result.unused);
    const LoadReport loaded = loadStateDict(*model, weights);
    std::vector<std::string> missingBackbone;
    for (const std::string& name : loaded.missing) {
        const bool inHead = !startsWith(name, prefix);
        // HF re-initialises a missing pooler with a warning; a fixed sinusoid table is rebuilt.
        const bool pooler = startsWith(name, prefix + "pooler.");
        const bool sinusoid =
            config.sinusoidalPositions && name.find("position_embeddings") != std::string::npos;
        if (inHead || pooler)
            result.initialised.push_back(name);
        else if (!sinusoid)
            missingBackbone.push_back(name);
    }
    if (!missingBackbone.empty())
        throw Error(
            QStringLiteral("The weights in %1 lack %2 tensor(s) this %3 model needs: %4. The "
                           "model.safetensors does not belong to this config.json, or the "
                           "download is incomplete.")
                .arg(QDir::toNativeSeparators(modelDir))
                .arg(missingBackbone.size())
                .arg(config.modelType, weightNameList(missingBackbone)));
    result.unused.insert(result.unused.end(), loaded.unexpected.begin(), loaded.unexpected.end());
    reinitialisePooler(*model, prefix + "pooler.", result.initialised);
    if (report)
        *report = result;
    return model;
}

SequenceClassifier loadSequenceClassifier(const QString& modelDir, int64_t numLabels,
                                          ProblemType problem, ClassifierLoadReport* report)
{
    QStringList labels;
    for (int64_t i = 0; i < numLabels; ++i)
        labels << QStringLiteral("LABEL_%1").arg(i);
    if (labels.isEmpty())
        throw Error(QStringLiteral("A classifier needs at least one label."));
    return loadSequenceClassifier(modelDir, labels, problem, report);
}

void saveSequenceClassifier(SequenceClassifierImpl& model, const QString& modelDir)
{
    const TensorMap weights = stateDict(model);
    for (const auto& [name, tensor] : weights)
        if (name.find(".lora_A.") != std::string::npos ||
            name.find(".lora_B.") != std::string::npos)
            throw Error(
                QStringLiteral("The model still has LoRA adapters (e.g. %1): merge them into "
                               "the weights first, or save the adapter on its own.")
                    .arg(QString::fromStdString(name)));
    if (!QDir().mkpath(modelDir))
        throw Error(QStringLiteral("Cannot create the folder %1; check that the location is "
                                   "writable.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    saveSafetensors(QDir(modelDir).filePath(QStringLiteral("model.safetensors")), weights,
                    {{QStringLiteral("format"), QStringLiteral("pt")}});
    model.config().save(modelDir);
}

at::Tensor poolFeatures(const at::Tensor& lastHidden, const at::Tensor& attentionMask,
                        Pooling pooling)
{
    if (pooling == Pooling::FirstToken || !attentionMask.defined())
        return pooling == Pooling::FirstToken ? lastHidden.select(1, 0) : lastHidden.mean(1);
    const at::Tensor m = attentionMask.to(lastHidden.scalar_type()).unsqueeze(-1); // [B, T, 1]
    // Clamp guards an all-padding row (no tokens) against dividing by zero.
    return (lastHidden * m).sum(1) / m.sum(1).clamp_min(1.0); // [B, H]
}

} // namespace fts
