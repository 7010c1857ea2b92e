// What a model folder holds, read without loading the weights: architecture, sizes, a layer table
// with parameter counts (from the safetensors headers), tokenizer kind and vocabulary size.
#pragma once

#include "models/ModelConfig.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace fts {

struct LayerRow
{
    QString name;        // "embeddings", "layer 0", ..., "final norm", "pooler", "head"
    qint64 parameters = 0;
};

struct ModelInspection
{
    QString dir;
    ModelConfig config;
    QStringList weightFiles;
    QStringList dtypes;
    qint64 parameters = 0;
    qint64 bytesOnDisk = 0;
    QList<LayerRow> layers;
    QString tokenizerKind; // "wordpiece", "bpe", "unigram", "sentencepiece", or "" when none
    qint64 vocabSize = -1; // from the tokenizer files when they say; else -1
    qint64 maxLength = 0;
    bool hasChatTemplate = false;

    QJsonObject toJson() const;
    QString toText() const;
};

// Throws fts::Error for a folder without config.json, with only pickled weights (explaining why they
// are refused), or with damaged safetensors headers (naming the file and tensor).
ModelInspection inspectModelFolder(const QString& dir);

} // namespace fts
