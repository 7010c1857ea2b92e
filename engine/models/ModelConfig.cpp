// Reads each family's config.json field names (they differ: n_embd vs hidden_size vs dim) into one struct.
#include "models/ModelConfig.h"

#include "Error.h"
#include "io/AtomicWrite.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace fts {
namespace {

class Reader
{
public:
    Reader(const QJsonObject& json, QString label) : m_json(json), m_label(std::move(label)) {}

    [[noreturn]] void fail(const QString& what) const
    {
        throw Error(QStringLiteral("%1: %2").arg(m_label, what));
    }
    bool has(const char* key) const
    {
        return m_json.contains(QLatin1String(key)) && !m_json.value(QLatin1String(key)).isNull();
    }
    int64_t integer(const char* key, int64_t fallback = -1, bool required = true) const
    {
        if (!has(key)) {
            if (required && fallback < 0)
                fail(QStringLiteral("the field \"%1\" is missing.").arg(QLatin1String(key)));
            return fallback;
        }
        const QJsonValue v = m_json.value(QLatin1String(key));
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || std::floor(d) != d)
            fail(QStringLiteral("\"%1\" must be a whole number.").arg(QLatin1String(key)));
        return int64_t(d);
    }
    int64_t positive(const char* key, int64_t fallback = -1) const
    {
        const int64_t v = integer(key, fallback);
        if (v <= 0)
            fail(QStringLiteral("\"%1\" must be at least 1 (it is %2).").arg(QLatin1String(key)).arg(v));
        return v;
    }
    double number(const char* key, double fallback) const
    {
        if (!has(key))
            return fallback;
        const QJsonValue v = m_json.value(QLatin1String(key));
        if (!v.isDouble())
            fail(QStringLiteral("\"%1\" must be a number.").arg(QLatin1String(key)));
        return v.toDouble();
    }
    QString string(const char* key, const QString& fallback) const
    {
        return has(key) ? m_json.value(QLatin1String(key)).toString(fallback) : fallback;
    }
    bool boolean(const char* key, bool fallback) const
    {
        return has(key) ? m_json.value(QLatin1String(key)).toBool(fallback) : fallback;
    }

private:
    const QJsonObject& m_json;
    QString m_label;
};

void readLabels(const QJsonObject& json, ModelConfig& c, const Reader& r)
{
    const QJsonObject id2label = json.value(QLatin1String("id2label")).toObject();
    if (id2label.isEmpty())
        return;
    c.labels.resize(id2label.size());
    for (auto it = id2label.begin(); it != id2label.end(); ++it) {
        bool ok = false;
        const int id = it.key().toInt(&ok);
        if (!ok || id < 0 || id >= id2label.size())
            r.fail(QStringLiteral("id2label must number its labels 0..%1; found key \"%2\".")
                       .arg(id2label.size() - 1)
                       .arg(it.key()));
        c.labels[id] = it->toString();
    }
}

void readEosIds(const QJsonObject& json, ModelConfig& c)
{
    const QJsonValue eos = json.value(QLatin1String("eos_token_id"));
    if (eos.isArray())
        for (const QJsonValue& v : eos.toArray())
            c.eosTokenIds.push_back(int64_t(v.toDouble()));
    else if (eos.isDouble())
        c.eosTokenIds.push_back(int64_t(eos.toDouble()));
}

void readEncoder(const Reader& r, ModelConfig& c)
{
    c.classifierPooling = r.string("classifier_pooling", QStringLiteral("cls"));
    if (c.classifierPooling != QLatin1String("cls") && c.classifierPooling != QLatin1String("mean"))
        r.fail(QStringLiteral("\"classifier_pooling\" must be \"cls\" or \"mean\", not \"%1\".")
                   .arg(c.classifierPooling));
    if (c.family == ModelFamily::DistilBert) {
        c.vocabSize = r.positive("vocab_size");
        c.hiddenSize = r.positive("dim");
        c.numLayers = r.positive("n_layers");
        c.numHeads = r.positive("n_heads");
        c.intermediateSize = r.positive("hidden_dim");
        c.maxPositions = r.positive("max_position_embeddings", 512);
        c.hiddenAct = r.string("activation", QStringLiteral("gelu"));
        c.hiddenDropout = r.number("dropout", 0.1);
        c.attentionDropout = r.number("attention_dropout", 0.1);
        c.classifierDropout = r.number("seq_classif_dropout", 0.2);
        c.sinusoidalPositions = r.boolean("sinusoidal_pos_embds", false);
        c.layerNormEps = 1e-12; // fixed in HF's DistilBERT
        c.padTokenId = r.integer("pad_token_id", 0, false);
        return;
    }
    c.vocabSize = r.positive("vocab_size");
    c.hiddenSize = r.positive("hidden_size");
    c.numLayers = r.positive("num_hidden_layers");
    c.numHeads = r.positive("num_attention_heads");
    c.intermediateSize = r.positive("intermediate_size");
    c.maxPositions = r.positive("max_position_embeddings", 512);
    c.typeVocabSize = r.integer("type_vocab_size", 2, false);
    c.layerNormEps = r.number("layer_norm_eps", c.family == ModelFamily::Roberta ? 1e-5 : 1e-12);
    c.hiddenAct = r.string("hidden_act", QStringLiteral("gelu"));
    c.hiddenDropout = r.number("hidden_dropout_prob", 0.1);
    c.attentionDropout = r.number("attention_probs_dropout_prob", 0.1);
    c.classifierDropout = r.number("classifier_dropout", -1);
    c.padTokenId = r.integer("pad_token_id", c.family == ModelFamily::Roberta ? 1 : 0, false);
    if (r.string("position_embedding_type", QStringLiteral("absolute")) != QLatin1String("absolute"))
        r.fail(QStringLiteral("only \"absolute\" position embeddings are supported."));
}

void readDecoder(const Reader& r, ModelConfig& c)
{
    if (c.family == ModelFamily::Gpt2) {
        c.vocabSize = r.positive("vocab_size");
        c.hiddenSize = r.positive("n_embd");
        c.numLayers = r.positive("n_layer");
        c.numHeads = r.positive("n_head");
        c.intermediateSize = r.integer("n_inner", 4 * c.hiddenSize, false);
        c.maxPositions = r.positive("n_positions", 1024);
        c.hiddenAct = r.string("activation_function", QStringLiteral("gelu_new"));
        c.layerNormEps = r.number("layer_norm_epsilon", 1e-5);
        c.hiddenDropout = r.number("resid_pdrop", 0.1);
        c.attentionDropout = r.number("attn_pdrop", 0.1);
        c.tieWordEmbeddings = r.boolean("tie_word_embeddings", true);
        c.attentionBias = true;
        c.mlpBias = true;
        if (r.boolean("scale_attn_by_inverse_layer_idx", false) || r.boolean("reorder_and_upcast_attn", false))
            r.fail(QStringLiteral("GPT-2 attention options scale_attn_by_inverse_layer_idx and "
                                  "reorder_and_upcast_attn are not supported."));
    } else {
        c.vocabSize = r.positive("vocab_size");
        c.hiddenSize = r.positive("hidden_size");
        c.numLayers = r.positive("num_hidden_layers");
        c.numHeads = r.positive("num_attention_heads");
        c.numKvHeads = r.integer("num_key_value_heads", c.numHeads, false);
        c.intermediateSize = r.positive("intermediate_size");
        c.maxPositions = r.positive("max_position_embeddings", 2048);
        c.rmsNormEps = r.number("rms_norm_eps", 1e-6);
        c.ropeTheta = r.number("rope_theta", 10000.0);
        c.hiddenAct = r.string("hidden_act", QStringLiteral("silu"));
        c.attentionDropout = r.number("attention_dropout", 0.0);
        c.hiddenDropout = 0.0;
        c.tieWordEmbeddings = r.boolean("tie_word_embeddings", false);
        c.headDim = r.integer("head_dim", 0, false);
        if (c.modelType == QLatin1String("qwen2")) {
            c.attentionBias = true;
            c.qkvBiasOnly = true;
        } else {
            c.attentionBias = r.boolean("attention_bias", false);
            c.mlpBias = r.boolean("mlp_bias", false);
        }
        if (r.has("rope_scaling"))
            r.fail(QStringLiteral("\"rope_scaling\" (long-context RoPE variants) is not supported; "
                                  "use a model without it."));
        const bool slidingUsed = c.modelType == QLatin1String("qwen2")
                                     ? r.boolean("use_sliding_window", false)
                                     : r.has("sliding_window");
        if (slidingUsed && r.integer("sliding_window", 0, false) < c.maxPositions)
            r.fail(QStringLiteral("sliding-window attention is not supported; only models whose "
                                  "\"sliding_window\" is null or covers max_position_embeddings."));
    }
    c.padTokenId = r.integer("pad_token_id", -1, false);
    c.bosTokenId = r.integer("bos_token_id", -1, false);
}

} // namespace

QStringList ModelConfig::supportedModelTypes()
{
    return {"bert", "distilbert", "roberta", "gpt2", "llama", "mistral", "qwen2"};
}

ModelConfig ModelConfig::fromJson(const QJsonObject& json, const QString& label)
{
    const Reader r(json, label);
    ModelConfig c;
    c.raw = json;
    c.modelType = r.string("model_type", QString());
    for (const QJsonValue& a : json.value(QLatin1String("architectures")).toArray())
        c.architectures << a.toString();
    static const QList<QPair<QString, ModelFamily>> kFamilies = {
        {"bert", ModelFamily::Bert},     {"distilbert", ModelFamily::DistilBert},
        {"roberta", ModelFamily::Roberta}, {"gpt2", ModelFamily::Gpt2},
        {"llama", ModelFamily::Llama},   {"mistral", ModelFamily::Llama},
        {"qwen2", ModelFamily::Llama}};
    bool known = false;
    for (const auto& [type, family] : kFamilies)
        if (c.modelType == type) {
            c.family = family;
            known = true;
        }
    if (c.modelType.isEmpty())
        r.fail(QStringLiteral("the field \"model_type\" is missing, so the architecture is unknown. "
                              "Supported: %1.").arg(supportedModelTypes().join(QStringLiteral(", "))));
    if (!known)
        r.fail(QStringLiteral("model_type \"%1\" is not supported. Supported: %2.")
                   .arg(c.modelType, supportedModelTypes().join(QStringLiteral(", "))));
    if (c.isEncoder())
        readEncoder(r, c);
    else
        readDecoder(r, c);
    if (c.numKvHeads <= 0)
        c.numKvHeads = c.numHeads;
    if (c.headDim <= 0) {
        if (c.hiddenSize % c.numHeads != 0)
            r.fail(QStringLiteral("the number of attention heads (%1) must divide the hidden size (%2).")
                       .arg(c.numHeads)
                       .arg(c.hiddenSize));
        c.headDim = c.hiddenSize / c.numHeads;
    }
    if (c.numHeads % c.numKvHeads != 0)
        r.fail(QStringLiteral("num_key_value_heads (%1) must divide num_attention_heads (%2).")
                   .arg(c.numKvHeads)
                   .arg(c.numHeads));
    if (c.padTokenId >= c.vocabSize)
        r.fail(QStringLiteral("pad_token_id (%1) is outside the vocabulary (%2 tokens).")
                   .arg(c.padTokenId)
                   .arg(c.vocabSize));
    static const QStringList kActs = {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"};
    if (!kActs.contains(c.hiddenAct))
        r.fail(QStringLiteral("activation \"%1\" is not supported. Supported: %2.")
                   .arg(c.hiddenAct, kActs.join(QStringLiteral(", "))));
    readEosIds(json, c);
    readLabels(json, c, r);
    c.problemType = r.string("problem_type", QString());
    return c;
}

ModelConfig ModelConfig::load(const QString& modelDir)
{
    const QString path = QDir(modelDir).filePath(QStringLiteral("config.json"));
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1 has no config.json; a Hugging Face model folder needs one.")
                        .arg(QDir::toNativeSeparators(modelDir)));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw Error(QStringLiteral("%1 is not valid JSON (%2 at byte %3).")
                        .arg(QDir::toNativeSeparators(path), err.errorString())
                        .arg(err.offset));
    return fromJson(doc.object(), QDir::toNativeSeparators(path));
}

QJsonObject ModelConfig::toJson() const
{
    QJsonObject out = raw;
    out.insert(QStringLiteral("model_type"), modelType);
    if (!architectures.isEmpty())
        out.insert(QStringLiteral("architectures"), QJsonArray::fromStringList(architectures));
    if (!labels.isEmpty()) {
        QJsonObject id2label, label2id;
        for (int i = 0; i < labels.size(); ++i) {
            id2label.insert(QString::number(i), labels[i]);
            label2id.insert(labels[i], i);
        }
        out.insert(QStringLiteral("id2label"), id2label);
        out.insert(QStringLiteral("label2id"), label2id);
    }
    if (!problemType.isEmpty())
        out.insert(QStringLiteral("problem_type"), problemType);
    if (isEncoder() && (classifierPooling != QLatin1String("cls") ||
                        raw.contains(QLatin1String("classifier_pooling"))))
        out.insert(QStringLiteral("classifier_pooling"), classifierPooling);
    return out;
}

void ModelConfig::save(const QString& modelDir) const
{
    const QByteArray bytes = QJsonDocument(toJson()).toJson(QJsonDocument::Indented);
    writeFileAtomically(QDir(modelDir).filePath(QStringLiteral("config.json")),
                        [&](QIODevice& out) { out.write(bytes); });
}

} // namespace fts
