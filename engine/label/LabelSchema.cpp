// Schemas live in tasks.schema (JSON); label names also stay in tasks.labels for the importers.
#include "label/LabelSchema.h"

#include "Error.h"
#include "project/Project.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace fts {
namespace {
const QStringList kColors = {"#c44e52", "#8c8c8c", "#55a868", "#4c72b0", "#dd8452",
                             "#8172b3", "#937860", "#da8bc3", "#ccb974"};

LabelSchema fromNames(const QString& task, const QStringList& names)
{
    LabelSchema s;
    s.task = task;
    for (int i = 0; i < names.size(); ++i)
        s.labels.append({names[i], kColors[i % kColors.size()], i < 9 ? QString::number(i + 1) : QString(), {}});
    return s;
}
} // namespace

int LabelSchema::indexOfKey(const QString& key) const
{
    for (int i = 0; i < labels.size(); ++i)
        if (!labels[i].key.isEmpty() && labels[i].key.compare(key, Qt::CaseInsensitive) == 0)
            return i;
    return -1;
}

QStringList LabelSchema::names() const
{
    QStringList out;
    for (const LabelDef& l : labels)
        out << l.name;
    return out;
}

QJsonObject LabelSchema::toJson() const
{
    QJsonArray defs;
    for (const LabelDef& l : labels)
        defs.append(QJsonObject{{"name", l.name}, {"color", l.color}, {"key", l.key}, {"description", l.description}});
    return {{"labels", defs}, {"guidelines", guidelines}, {"multi_label", multiLabel}};
}

LabelSchema LabelSchema::fromJson(const QString& task, const QJsonObject& json)
{
    LabelSchema s;
    s.task = task;
    s.guidelines = json.value(QLatin1String("guidelines")).toString();
    s.multiLabel = json.value(QLatin1String("multi_label")).toBool();
    for (const QJsonValue& v : json.value(QLatin1String("labels")).toArray()) {
        const QJsonObject o = v.toObject();
        s.labels.append({o.value(QLatin1String("name")).toString(), o.value(QLatin1String("color")).toString(),
                         o.value(QLatin1String("key")).toString(), o.value(QLatin1String("description")).toString()});
    }
    return s;
}

QStringList LabelSchema::presetNames()
{
    return {"sentiment-3", "sentiment-5", "binary", "multi-label"};
}

LabelSchema LabelSchema::preset(const QString& name, const QString& task)
{
    LabelSchema s;
    if (name == QLatin1String("sentiment-3")) {
        s = fromNames(task, {"negative", "neutral", "positive"});
        s.labels[0].description = QStringLiteral("The writer is unhappy: complaints, disappointment, sarcasm that means criticism.");
        s.labels[1].description = QStringLiteral("Facts or mixed feelings that cancel out; no overall verdict.");
        s.labels[2].description = QStringLiteral("The writer is pleased: praise, recommendation, relief.");
    } else if (name == QLatin1String("sentiment-5")) {
        s = fromNames(task, {"very negative", "negative", "neutral", "positive", "very positive"});
    } else if (name == QLatin1String("binary")) {
        s = fromNames(task, {"no", "yes"});
    } else if (name == QLatin1String("multi-label")) {
        s = fromNames(task, {"billing", "delivery", "product", "service", "other"});
        s.multiLabel = true;
    } else {
        throw Error(QStringLiteral("'%1' is not a label preset; presets: %2.").arg(name, presetNames().join(QStringLiteral(", "))));
    }
    return s;
}

LabelSchema loadLabelSchema(Project& project, const QString& task)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT labels, schema FROM tasks WHERE name = ?"));
    q.bind(task).exec("read the label schema");
    if (!q.next())
        return fromNames(task, {});
    const QJsonObject schema = QJsonDocument::fromJson(q.value(1).toByteArray()).object();
    if (!schema.value(QLatin1String("labels")).toArray().isEmpty())
        return LabelSchema::fromJson(task, schema);
    QStringList names;
    for (const QJsonValue& v : QJsonDocument::fromJson(q.value(0).toByteArray()).array())
        names << v.toString();
    return fromNames(task, names);
}

void saveLabelSchema(Project& project, const LabelSchema& schema)
{
    if (schema.task.trimmed().isEmpty())
        throw Error(QStringLiteral("A labeling task needs a name."));
    QSet<QString> names, keys;
    for (const LabelDef& l : schema.labels) {
        if (l.name.trimmed().isEmpty())
            throw Error(QStringLiteral("Every label needs a name."));
        if (names.contains(l.name))
            throw Error(QStringLiteral("The label '%1' appears twice.").arg(l.name));
        if (!l.key.isEmpty() && keys.contains(l.key.toLower()))
            throw Error(QStringLiteral("The key '%1' is used by two labels; give each label its own key.").arg(l.key));
        names.insert(l.name);
        if (!l.key.isEmpty())
            keys.insert(l.key.toLower());
    }
    const QByteArray json = QJsonDocument(schema.toJson()).toJson(QJsonDocument::Compact);
    const QByteArray labelNames = QJsonDocument(QJsonArray::fromStringList(schema.names())).toJson(QJsonDocument::Compact);
    SqlQuery(project.db(), QStringLiteral("INSERT INTO tasks(name, labels, schema) VALUES(?, ?, ?) ON CONFLICT(name) "
                                          "DO UPDATE SET labels = excluded.labels, schema = excluded.schema"))
        .bind(schema.task).bind(QString::fromUtf8(labelNames)).bind(QString::fromUtf8(json)).exec("save the label schema");
}

} // namespace fts
