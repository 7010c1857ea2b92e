// A labeling task's schema: label names with colours, keys and descriptions, guidelines, presets.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace fts {

class Project;

struct LabelDef
{
    QString name;
    QString color;       // "#rrggbb" (the engine has no QtGui)
    QString key;         // keyboard key in card mode, e.g. "1"
    QString description; // shown beside the text
};

struct LabelSchema
{
    QString task;
    QList<LabelDef> labels;
    QString guidelines;
    bool multiLabel = false;

    int indexOfKey(const QString& key) const;
    QStringList names() const;
    QJsonObject toJson() const;
    static LabelSchema fromJson(const QString& task, const QJsonObject& json);

    // Presets: "sentiment-3", "sentiment-5", "binary", "multi-label" (topics as placeholders).
    static QStringList presetNames();
    static LabelSchema preset(const QString& name, const QString& task);
};

// The task's schema; when none was saved, one made from the label names seen in the data (keys 1..9).
LabelSchema loadLabelSchema(Project& project, const QString& task);
// Saves the schema (creating the task if new); throws fts::Error for duplicate names or keys.
void saveLabelSchema(Project& project, const LabelSchema& schema);

} // namespace fts
