// config.json of a Hugging Face model folder, mapped onto the fields the studio's families use.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace fts {

enum class ModelFamily { Bert, DistilBert, Roberta, Gpt2, Llama };

struct ModelConfig
{
    QString modelType; // config.json "model_type": bert, distilbert, roberta, gpt2, llama, mistral, qwen2
    ModelFamily family = ModelFamily::Bert;
    QStringList architectures;

    int64_t vocabSize = 0;
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0; // decoders with grouped-query attention; = numHeads otherwise
    int64_t headDim = 0;    // hiddenSize / numHeads unless config.json says otherwise
    int64_t intermediateSize = 0;
    int64_t maxPositions = 0;
    int64_t typeVocabSize = 0; // BERT/RoBERTa token types; 0 where the family has none

    double layerNormEps = 1e-12;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    QString hiddenAct; // gelu, gelu_new, gelu_pytorch_tanh, relu, silu

    double hiddenDropout = 0.1;
    double attentionDropout = 0.1;
    double classifierDropout = -1; // < 0: use hiddenDropout, as HF does
    // What a classification head reads: the first token ("cls", HF's BERT/RoBERTa/DistilBERT) or
    // the mean over real tokens ("mean", as ModernBERT's classifier_pooling); a model pre-trained
    // with masked-LM alone never shapes [CLS], so the studio's starter models ask for "mean".
    QString classifierPooling = QStringLiteral("cls");

    bool tieWordEmbeddings = false;
    bool attentionBias = false; // bias on q/k/v (and o for llama's attention_bias)
    bool qkvBiasOnly = false;   // Qwen2: bias on q/k/v, none on o
    bool mlpBias = false;
    bool sinusoidalPositions = false; // DistilBERT option

    int64_t padTokenId = -1;
    int64_t bosTokenId = -1;
    std::vector<int64_t> eosTokenIds;

    // Classification heads: label names in id order (from id2label), and HF's problem_type.
    QStringList labels;
    QString problemType; // single_label_classification, multi_label_classification, regression

    QJsonObject raw; // the file as read; toJson() writes the mapped fields back over it

    bool isEncoder() const { return family == ModelFamily::Bert || family == ModelFamily::DistilBert || family == ModelFamily::Roberta; }
    bool isDecoder() const { return !isEncoder(); }

    // Throws fts::Error naming `label` (usually the config.json path) and the field at fault.
    static ModelConfig fromJson(const QJsonObject& json, const QString& label = QStringLiteral("config.json"));
    static ModelConfig load(const QString& modelDir);
    QJsonObject toJson() const;
    void save(const QString& modelDir) const; // atomic

    static QStringList supportedModelTypes();
};

} // namespace fts
