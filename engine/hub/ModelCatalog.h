// The curated list of small pre-trained models the studio recommends per task.
#pragma once

#include <QList>
#include <QString>

namespace fts {

struct CatalogEntry
{
    QString hubId;      // e.g. "distilbert-base-uncased"
    QString task;       // "classification" or "chat" (chat models also summarise)
    QString family;     // model_type: bert, distilbert, roberta, gpt2, llama, qwen2
    qint64 parameters;  // approximate, for choosing by size
    QString licence;    // SPDX identifier as published on the model card
    QString goodFor;    // one plain sentence
};

QList<CatalogEntry> modelCatalog();

} // namespace fts
