// Streaming batch inference: a row reader per input format, a row writer per output format, and
// one loop that holds at most one batch of rows.
#include "deploy/BatchPredict.h"

#include "Error.h"
#include "data/CsvField.h"
#include "data/TableSource.h"
#include "deploy/TextClassifier.h"
#include "deploy/TextGenerator.h"
#include "io/AtomicWrite.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <utility>
#include <vector>

namespace fts {
namespace {

using Fields = std::vector<std::pair<QString, QJsonValue>>; // one row, in column order

struct Row
{
    Fields fields;
    QString text;
};

bool isJsonl(const QString& path)
{
    const QString s = QFileInfo(path).suffix().toLower();
    return s == QLatin1String("jsonl") || s == QLatin1String("ndjson");
}

class RowReader
{
public:
    RowReader(const QString& path, const QString& textColumn) : m_path(path), m_column(textColumn)
    {
        if (isJsonl(path)) {
            m_file.setFileName(path);
            if (!m_file.open(QIODevice::ReadOnly))
                throw Error(QStringLiteral("Cannot open %1: %2.").arg(path, m_file.errorString()));
            m_total = m_file.size();
            return;
        }
        SourceOptions o;
        o.format = formatForFile(path);
        m_source = openTableSource(path, o);
        m_total = m_source->size();
        const QStringList& header = m_source->header();
        m_textIndex = m_column.isEmpty()
                          ? std::max<qsizetype>(0, header.indexOf(QStringLiteral("text")))
                          : header.indexOf(m_column);
        if (m_textIndex < 0)
            throw Error(
                QStringLiteral("%1 has no column \"%2\"; its columns are %3.")
                    .arg(QFileInfo(path).fileName(), m_column, header.join(QStringLiteral(", "))));
    }

    bool next(Row& row)
    {
        row.fields.clear();
        return m_source ? nextTable(row) : nextJsonl(row);
    }
    qint64 position() const { return m_source ? m_source->position() : m_file.pos(); }
    qint64 total() const { return m_total; }

private:
    bool nextTable(Row& row)
    {
        SourceRecord r;
        if (!m_source->next(r))
            return false;
        const QStringList& header = m_source->header();
        for (qsizetype i = 0; i < header.size(); ++i)
            row.fields.emplace_back(header[i], r.fields.value(i));
        row.text = r.fields.value(m_textIndex);
        return true;
    }

    bool nextJsonl(Row& row)
    {
        while (!m_file.atEnd()) {
            const QByteArray line = m_file.readLine().trimmed();
            ++m_line;
            if (line.isEmpty())
                continue;
            QJsonParseError err;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
            if (err.error != QJsonParseError::NoError || !doc.isObject())
                throw Error(QStringLiteral("%1, line %2: not a JSON object (%3); every line of a "
                                           "JSON Lines file must be one {...} object.")
                                .arg(QFileInfo(m_path).fileName())
                                .arg(m_line)
                                .arg(err.error != QJsonParseError::NoError
                                         ? err.errorString()
                                         : QStringLiteral("another JSON value")));
            const QJsonObject o = doc.object();
            for (auto it = o.begin(); it != o.end(); ++it)
                row.fields.emplace_back(it.key(), it.value());
            const QString key = m_column.isEmpty() ? QStringLiteral("text") : m_column;
            if (!o.contains(key) || !o.value(key).isString())
                throw Error(QStringLiteral("%1, line %2: no text field \"%3\"; choose the field "
                                           "that holds the text.")
                                .arg(QFileInfo(m_path).fileName())
                                .arg(m_line)
                                .arg(key));
            row.text = o.value(key).toString();
            return true;
        }
        return false;
    }

    QString m_path;
    QString m_column;
    QFile m_file;
    std::unique_ptr<TableSource> m_source;
    qsizetype m_textIndex = 0;
    qint64 m_line = 0;
    qint64 m_total = 0;
};

QString plainText(const QJsonValue& v)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 10);
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return {};
}

class RowWriter
{
public:
    RowWriter(QIODevice& out, bool jsonl) : m_out(out), m_jsonl(jsonl) {}

    void write(const Fields& fields)
    {
        if (m_jsonl) {
            QJsonObject o;
            for (const auto& [k, v] : fields)
                o.insert(k, v);
            m_out.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
            return;
        }
        if (m_header.isEmpty()) { // the first row fixes the columns
            for (const auto& f : fields)
                m_header << f.first;
            QStringList cells;
            for (const QString& h : m_header)
                cells << csvField(h);
            m_out.write(cells.join(QLatin1Char(',')).toUtf8() + '\n');
        }
        QStringList cells;
        for (const QString& h : m_header) {
            QString value;
            for (const auto& [k, v] : fields)
                if (k == h)
                    value = plainText(v);
            cells << csvField(value);
        }
        m_out.write(cells.join(QLatin1Char(',')).toUtf8() + '\n');
    }

private:
    QIODevice& m_out;
    bool m_jsonl;
    QStringList m_header;
};

using BatchFn = std::function<void(std::vector<Row>& rows)>; // appends the prediction fields

BatchPredictStats streamFile(const BatchPredictOptions& options, const BatchFn& predict,
                             const BatchProgress& progress)
{
    if (options.batchSize < 1)
        throw Error(QStringLiteral("The batch size must be at least 1."));
    if (QFileInfo(options.input).absoluteFilePath() == QFileInfo(options.output).absoluteFilePath())
        throw Error(QStringLiteral("The output file must differ from the input file %1.")
                        .arg(options.input));
    BatchPredictStats stats;
    QElapsedTimer clock;
    clock.start();
    RowReader reader(options.input, options.textColumn);
    writeFileAtomically(options.output, [&](QIODevice& out) {
        RowWriter writer(out, isJsonl(options.output));
        std::vector<Row> batch;
        bool more = true;
        while (more) {
            batch.clear();
            Row row;
            while (qsizetype(batch.size()) < options.batchSize && (more = reader.next(row)))
                batch.push_back(std::move(row));
            if (batch.empty())
                break;
            stats.maxRowsHeld = std::max<qint64>(stats.maxRowsHeld, qint64(batch.size()));
            predict(batch);
            for (const Row& r : batch)
                writer.write(r.fields);
            stats.rows += qint64(batch.size());
            if (progress && !progress(stats.rows, reader.position(), reader.total()))
                throw Cancelled();
        }
    });
    stats.seconds = clock.elapsed() / 1000.0;
    return stats;
}

} // namespace

BatchPredictStats predictFile(const TextClassifier& classifier, const BatchPredictOptions& options,
                              const BatchProgress& progress)
{
    const QStringList& labels = classifier.labels();
    const QString problem = classifier.info().problemType;
    return streamFile(
        options,
        [&](std::vector<Row>& rows) {
            QStringList texts;
            for (const Row& r : rows)
                texts << r.text;
            const std::vector<ClassPrediction> predictions = classifier.classify(texts);
            for (size_t i = 0; i < rows.size(); ++i) {
                const ClassPrediction& p = predictions[i];
                Fields& f = rows[i].fields;
                if (problem == QLatin1String("regression")) {
                    f.emplace_back(QStringLiteral("predicted_value"), p.probabilities.front());
                    continue;
                }
                if (problem == QLatin1String("multi_label_classification"))
                    f.emplace_back(QStringLiteral("predicted_labels"),
                                   p.activeLabels.join(QLatin1Char(';')));
                else
                    f.emplace_back(QStringLiteral("predicted_label"), p.label);
                for (qsizetype k = 0; k < labels.size(); ++k)
                    f.emplace_back(QStringLiteral("prob_") + labels[k],
                                   std::round(p.probabilities[size_t(k)] * 1e6) / 1e6);
            }
        },
        progress);
}

BatchPredictStats generateFile(const TextGenerator& generator, const GenerateRequest& request,
                               const BatchPredictOptions& options, const BatchProgress& progress)
{
    return streamFile(
        options,
        [&](std::vector<Row>& rows) {
            for (Row& r : rows) {
                GenerateRequest one = request;
                one.prompt = r.text;
                one.messages.clear();
                if (options.chat)
                    one.messages = {{QStringLiteral("user"), r.text}};
                r.fields.emplace_back(QStringLiteral("generated_text"),
                                      generator.generate(one).text);
            }
        },
        progress);
}

} // namespace fts
