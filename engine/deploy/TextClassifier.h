// A fine-tuned classifier ready to use: loaded once from a run or an exported folder, then asked
// for labels and probabilities of any number of texts. Torch-free so front ends can hold one.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace fts {

class Project;

struct ClassPrediction
{
    int index = 0;                     // argmax class (0 for regression)
    QString label;                     // its name
    std::vector<double> probabilities; // per class in labels() order; regression: {value}
    QStringList activeLabels;          // multi-label: every class with probability >= 0.5
};

// What the studio needs beside config.json to predict as the run did; written as
// finetune_studio.json into every export and read back from it.
struct DeployInfo
{
    QStringList labels;
    QString problemType = QStringLiteral("single_label_classification");
    int maxLength = 128;
    qint64 runId = 0;
    QString baseModel; // the folder the run started from (adapter exports load onto it)
    QJsonObject toJson() const;
    static DeployInfo fromJson(const QJsonObject& json);
};

class TextClassifier
{
public:
    // A Hugging Face classifier folder (config.json with id2label + model.safetensors + tokenizer
    // files or vocab_words.txt), or a PEFT adapter folder (adapter_config.json) that is loaded onto
    // `baseDir` (empty: the base recorded in the adapter). Throws fts::Error naming what is
    // missing.
    static std::shared_ptr<TextClassifier> loadFolder(const QString& dir,
                                                      const QString& baseDir = {});
    // A run's best checkpoint (its last when none was best), LoRA adapters merged for speed.
    // A multi-task run needs `task` (one of its tasks: that head on the shared encoder).
    static std::shared_ptr<TextClassifier> loadRun(Project& project, qint64 runId,
                                                   const QString& task = {});
    ~TextClassifier();

    const DeployInfo& info() const { return m_info; }
    const QStringList& labels() const { return m_info.labels; }
    QString description() const { return m_description; }

    // Labels and probabilities, in input order. Texts are run in batches of batchSize(); safe to
    // call from several threads at once (calls are serialised; each sets its own no-grad mode).
    std::vector<ClassPrediction> classify(const QStringList& texts) const;
    void setBatchSize(int size);
    int batchSize() const { return m_batchSize; }
    // Tokens a text becomes, capped at the model's maximum length (for request limits).
    int tokenCount(const QString& text) const;

private:
    struct Impl;
    TextClassifier();
    std::unique_ptr<Impl> d;
    DeployInfo m_info;
    QString m_description;
    int m_batchSize = 32;
};

// The input length a run trained with, within what the model's positions allow (RoBERTa's
// positions start after the padding index; rounded down to a multiple of 8 for padding).
int classifierMaxLength(int requested, const QString& modelType, qint64 maxPositions);

} // namespace fts
