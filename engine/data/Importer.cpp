// CSV/TSV import: column detection, split normalisation, and the single-transaction insert.
#include "data/Importer.h"

#include "Error.h"
#include "project/Project.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <optional>

namespace fts {
namespace {

// Records read before the import starts, to detect the columns when the user did not choose them.
constexpr int kDetectionSample = 200;
// A column with at most this many distinct values in the sample may be a label column.
constexpr int kMaxDetectedClasses = 20;

const QStringList kTextNames = {"text",    "review", "sentence", "content",   "comment",
                                "body",    "message", "document", "utterance", "tweet",
                                "post",    "description", "input", "question"};
const QStringList kLabelNames = {"label",  "labels", "sentiment", "class",  "category", "target",
                                 "rating", "stance", "topic",     "intent", "emotion",  "polarity",
                                 "mood",   "tone",   "verdict"};
const QStringList kSplitNames = {"split", "subset", "fold", "partition"};
// Identifier columns are never labels, however few their distinct values in a small sample.
const QRegularExpression kIdName(QStringLiteral("^(#|id|idx|index|row|key|.*[_ ]id|.*Id)$"),
                                 QRegularExpression::CaseInsensitiveOption);

int findNamed(const QStringList& header, const QStringList& names, const QSet<int>& taken = {})
{
    for (const QString& name : names)
        for (int i = 0; i < header.size(); ++i)
            if (!taken.contains(i) && header[i].trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return i;
    return -1;
}

QString fileLabel(const QString& path)
{
    return QFileInfo(path).fileName();
}

SourceOptions sourceOptions(const ImportOptions& o)
{
    SourceOptions s;
    s.format = o.format;
    s.encoding = o.encoding;
    s.delimiter = o.delimiter;
    s.header = o.header;
    return s;
}

int requireColumn(const QStringList& header, const QString& name, const char* role)
{
    for (int i = 0; i < header.size(); ++i)
        if (header[i].compare(name.trimmed(), Qt::CaseInsensitive) == 0)
            return i;
    throw Error(QStringLiteral("There is no column named '%1' to use as the %2 column. The file's "
                               "columns are: %3.")
                    .arg(name, QLatin1String(role), header.join(QStringLiteral(", "))));
}

ColumnMapping resolveMapping(const ImportOptions& o, const QStringList& header,
                             const QList<QStringList>& sample)
{
    ColumnMapping m = detectColumns(header, sample);
    if (!o.textColumn.isEmpty())
        m.text = requireColumn(header, o.textColumn, "text");
    if (o.labelColumns == QStringList{QStringLiteral("-")}) {
        m.labels.clear();
    } else if (!o.labelColumns.isEmpty()) {
        m.labels.clear();
        for (const QString& name : o.labelColumns)
            m.labels << requireColumn(header, name, "label");
    }
    if (o.splitColumn == QLatin1String("-"))
        m.split = -1;
    else if (!o.splitColumn.isEmpty())
        m.split = requireColumn(header, o.splitColumn, "split");
    if (m.text < 0)
        throw Error(QStringLiteral("Could not tell which column holds the text. Choose it "
                                   "(in the import dialog, or with --text COLUMN). Columns: %1.")
                        .arg(header.join(QStringLiteral(", "))));
    if (m.labels.contains(m.text))
        throw Error(QStringLiteral("The column '%1' cannot be both the text and a label.")
                        .arg(header[m.text]));
    m.labels.removeAll(m.split);
    return m;
}

// Keeps each task's label names in order of first appearance, merged with what the project has.
void saveTaskLabels(QSqlDatabase& db, const QString& task, const QStringList& seen)
{
    QStringList labels;
    {
        SqlQuery q(db, QStringLiteral("SELECT labels FROM tasks WHERE name = ?"));
        q.bind(task).exec("read the label task");
        if (q.next())
            for (const QJsonValue& v : QJsonDocument::fromJson(q.value(0).toByteArray()).array())
                labels << v.toString();
    }
    for (const QString& l : seen)
        if (!labels.contains(l))
            labels << l;
    SqlQuery(db, QStringLiteral("INSERT INTO tasks(name, labels) VALUES(?, ?) "
                                "ON CONFLICT(name) DO UPDATE SET labels = excluded.labels"))
        .bind(task)
        .bind(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(labels))
                                    .toJson(QJsonDocument::Compact)))
        .exec("save the label task");
}

} // namespace

QString normalizeSplit(const QString& value)
{
    const QString v = value.trimmed().toLower();
    if (v.isEmpty())
        return QLatin1String("");
    if (v == QLatin1String("train") || v == QLatin1String("training"))
        return QStringLiteral("train");
    if (v == QLatin1String("val") || v == QLatin1String("valid") ||
        v == QLatin1String("validation") || v == QLatin1String("dev"))
        return QStringLiteral("val");
    if (v == QLatin1String("test") || v == QLatin1String("testing"))
        return QStringLiteral("test");
    return {};
}

ColumnMapping detectColumns(const QStringList& header, const QList<QStringList>& sample)
{
    ColumnMapping m;
    const int n = int(header.size());
    QList<double> avgLength(n, 0);
    QList<int> numeric(n, 0);
    QList<QSet<QString>> distinct(n);
    QList<bool> splitLike(n, true);
    for (const QStringList& row : sample)
        for (int i = 0; i < n && i < row.size(); ++i) {
            avgLength[i] += row[i].size();
            numeric[i] += looksNumeric(row[i]);
            distinct[i].insert(row[i].trimmed());
            splitLike[i] = splitLike[i] && !normalizeSplit(row[i]).isNull();
        }
    const int rows = int(sample.size());
    for (double& a : avgLength)
        a /= std::max(1, rows);

    m.split = findNamed(header, kSplitNames);
    if (m.split >= 0 && (rows == 0 || !splitLike[m.split]))
        m.split = -1;

    QSet<int> taken;
    if (m.split >= 0)
        taken.insert(m.split);
    m.text = findNamed(header, kTextNames, taken);
    if (m.text < 0) {
        double best = 0;
        for (int i = 0; i < n; ++i)
            if (!taken.contains(i) && numeric[i] * 2 < std::max(1, rows) && avgLength[i] > best) {
                best = avgLength[i];
                m.text = i;
            }
    }
    if (m.text >= 0)
        taken.insert(m.text);

    for (int i = findNamed(header, kLabelNames, taken); i >= 0;
         i = findNamed(header, kLabelNames, taken)) {
        m.labels << i;
        taken.insert(i);
    }
    if (m.labels.isEmpty() && rows > 0) {
        // No label-like name: accept one short column with few distinct values as the label.
        for (int i = 0; i < n; ++i) {
            if (taken.contains(i) || kIdName.match(header[i].trimmed()).hasMatch() ||
                numeric[i] == rows)
                continue;
            const int classes = int(distinct[i].size());
            if (classes >= 2 && classes <= kMaxDetectedClasses && avgLength[i] <= 30 &&
                (rows < 10 || classes * 2 <= rows)) {
                m.labels << i;
                break;
            }
        }
    }
    return m;
}

TablePreview previewTable(const ImportOptions& options, int maxRows)
{
    auto source = openTableSource(options.file, sourceOptions(options));
    TablePreview p;
    p.format = options.format;
    p.info = source->info();
    p.header = source->header();
    SourceRecord r;
    while (p.rows.size() < maxRows && source->next(r))
        p.rows << r.fields;
    p.detected = detectColumns(p.header, p.rows);
    return p;
}

QMap<QString, QString> suggestLabelMapping(const QList<QStringList>& rows, const QList<int>& labelColumns)
{
    QMap<QString, QString> mapping;
    for (const QStringList& row : rows)
        for (int c : labelColumns) {
            const QString v = row.value(c).trimmed();
            if (!v.isEmpty())
                mapping.insert(v, v.toLower());
        }
    return mapping;
}

ImportResult importTable(Project& project, const ImportOptions& o, JobContext* ctx)
{
    if (project.isReadOnly())
        throw Error(QStringLiteral("This project is open read-only; nothing can be imported."));
    if (!o.fixedSplit.isEmpty() && normalizeSplit(o.fixedSplit).isEmpty())
        throw Error(QStringLiteral("'%1' is not a split; use train, val or test.").arg(o.fixedSplit));
    const QString fixedSplit = normalizeSplit(o.fixedSplit);
    const QString label = fileLabel(o.file);

    auto source = openTableSource(o.file, sourceOptions(o));
    const QStringList header = source->header();

    QList<SourceRecord> pending;
    SourceRecord rec;
    while (pending.size() < kDetectionSample && source->next(rec))
        pending << rec;
    if (pending.isEmpty())
        throw Error(QStringLiteral("%1 has a header line but no rows to import.").arg(label));
    QList<QStringList> sample;
    for (const SourceRecord& r : std::as_const(pending))
        sample << r.fields;
    const ColumnMapping m = resolveMapping(o, header, sample);

    QStringList tasks;
    for (int c : m.labels)
        tasks << header[c];
    QList<int> metaColumns;
    for (int i = 0; i < header.size(); ++i)
        if (i != m.text && i != m.split && !m.labels.contains(i))
            metaColumns << i;

    QJsonObject mapping{{"text", header[m.text]},
                        {"encoding", source->info().encoding},
                        {"labels", QJsonArray::fromStringList(tasks)},
                        {"split", m.split >= 0 ? header[m.split] : QString()},
                        {"fixed_split", fixedSplit}};
    const QString now = nowIso();
    const QString annotator = o.annotator.isEmpty() ? QStringLiteral("import:%1").arg(label)
                                                    : o.annotator;

    QSqlDatabase& db = project.db();
    Transaction tx(db);
    ImportResult result;
    result.tasks = tasks;
    {
        SqlQuery q(db, QStringLiteral("INSERT INTO imports(file, format, mapping, row_count, "
                                      "created_at) VALUES(?, ?, ?, 0, ?)"));
        q.bind(QFileInfo(o.file).absoluteFilePath())
            .bind(formatName(o.format))
            .bind(QString::fromUtf8(QJsonDocument(mapping).toJson(QJsonDocument::Compact)))
            .bind(now)
            .exec("record the import");
        result.importId = q.lastInsertId().toLongLong();
    }
    SqlQuery insertRow(db, QStringLiteral("INSERT INTO rows(text, split, import_id, source_line, "
                                          "meta, created_at) VALUES(?, ?, ?, ?, ?, ?)"));
    SqlQuery insertLabel(db, QStringLiteral("INSERT INTO labels(row_id, task, value, annotator, "
                                            "created_at) VALUES(?, ?, ?, ?, ?)"));
    QList<QStringList> labelsSeen(tasks.size());

    auto importRecord = [&](const SourceRecord& r) {
        if (r.fields.size() != header.size())
            throw Error(QStringLiteral("%1, line %2: this row has %3 fields but the header has %4. "
                                       "Look for a missing quote or an extra delimiter on that line.")
                            .arg(label)
                            .arg(r.line)
                            .arg(r.fields.size())
                            .arg(header.size()));
        QString split = fixedSplit;
        if (split.isEmpty() && m.split >= 0) {
            split = normalizeSplit(r.fields[m.split]);
            if (split.isNull())
                throw Error(QStringLiteral("%1, line %2: '%3' in column '%4' is not a split; use "
                                           "train, val or test (or leave it empty).")
                                .arg(label)
                                .arg(r.line)
                                .arg(r.fields[m.split], header[m.split]));
        }
        QVariant meta;
        if (!metaColumns.isEmpty() || !r.extra.isEmpty()) {
            QJsonObject obj = r.extra;
            for (int c : metaColumns)
                obj.insert(header[c], r.fields[c]);
            meta = QString::fromUtf8(QJsonDocument(obj).toJson(QJsonDocument::Compact));
        }
        QString text = r.fields[m.text];
        if (o.redact) {
            RedactionResult red = redactText(text, o.redaction);
            for (auto it = red.counts.begin(); it != red.counts.end(); ++it)
                result.redacted[it.key()] += it.value();
            text = std::move(red.text);
        }
        QSqlQuery& ins = insertRow.raw();
        ins.bindValue(0, text);
        ins.bindValue(1, split.isEmpty() ? QVariant() : QVariant(split));
        ins.bindValue(2, result.importId);
        ins.bindValue(3, r.line);
        ins.bindValue(4, meta);
        ins.bindValue(5, now);
        insertRow.exec("add a row");
        const qint64 rowId = ins.lastInsertId().toLongLong();
        ++result.rows;
        ++result.rowsPerSplit[split];
        for (int k = 0; k < m.labels.size(); ++k) {
            QString value = r.fields[m.labels[k]].trimmed();
            value = o.labelMapping.value(value, o.unifyLabelCase ? value.toLower() : value).trimmed();
            if (value.isEmpty())
                continue; // unlabeled in this task (or mapped to nothing): it goes to the labeling queue
            QSqlQuery& lab = insertLabel.raw();
            lab.bindValue(0, rowId);
            lab.bindValue(1, tasks[k]);
            lab.bindValue(2, value);
            lab.bindValue(3, annotator);
            lab.bindValue(4, now);
            insertLabel.exec("add a label");
            ++result.labels;
            if (!labelsSeen[k].contains(value))
                labelsSeen[k] << value;
        }
    };

    const qint64 total = std::max<qint64>(1, source->size());
    auto report = [&](qint64 consumed) {
        if (ctx) {
            ctx->checkCancelled();
            ctx->progress(consumed, total, QStringLiteral("Importing %1").arg(label));
        }
    };
    for (const SourceRecord& r : std::as_const(pending))
        importRecord(r);
    pending.clear();
    while (source->next(rec)) {
        importRecord(rec);
        if ((result.rows & 255) == 0)
            report(source->position());
    }
    for (int k = 0; k < tasks.size(); ++k)
        saveTaskLabels(db, tasks[k], labelsSeen[k]);
    SqlQuery(db, QStringLiteral("UPDATE imports SET row_count = ? WHERE id = ?"))
        .bind(result.rows)
        .bind(result.importId)
        .exec("record the import");
    if (ctx)
        ctx->checkCancelled(); // last chance: a cancel before commit leaves the project untouched
    tx.commit();
    if (ctx)
        ctx->progress(total, total, QStringLiteral("Importing %1").arg(label));
    return result;
}

ImportJob::ImportJob(QString projectPath, ImportOptions options)
    : m_projectPath(std::move(projectPath)), m_options(std::move(options))
{
}

QString ImportJob::title() const
{
    return QStringLiteral("Importing %1").arg(fileLabel(m_options.file));
}

void ImportJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath);
    m_result = importTable(*project, m_options, &ctx);
}

QString ImportJob::summary() const
{
    QStringList parts;
    for (auto it = m_result.rowsPerSplit.cbegin(); it != m_result.rowsPerSplit.cend(); ++it)
        parts << QStringLiteral("%1 %2").arg(it.value()).arg(it.key().isEmpty() ? "unsplit" : it.key());
    return QStringLiteral("Imported %1 rows (%2) and %3 labels from %4.")
        .arg(m_result.rows)
        .arg(parts.join(QStringLiteral(", ")))
        .arg(m_result.labels)
        .arg(fileLabel(m_options.file));
}

} // namespace fts
