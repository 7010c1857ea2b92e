// The CSV source sniffs delimiter and header on a decoded sample; JSON sources map keys to columns.
#include "data/TableSource.h"

#include "Error.h"
#include "data/CsvReader.h"
#include "data/TextEncoding.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <optional>

namespace fts {
namespace {

// Lines looked at to guess the delimiter and whether the first line is a header.
constexpr int kSniffLines = 50;
// JSON objects read before the column list is fixed.
constexpr int kJsonKeySample = 200;

QString label(const QString& path)
{
    return QFileInfo(path).fileName();
}

QString jsonToText(const QJsonValue& v)
{
    switch (v.type()) {
    case QJsonValue::String: return v.toString();
    case QJsonValue::Double: return QString::number(v.toDouble(), 'g', 15);
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Array: return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object: return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    default: return {};
    }
}

// Refuses a file that is not text at all (an image, a PDF, an archive or spreadsheet saved under a
// text name), which would otherwise import as rows of garbage: known file signatures, and NUL
// bytes in a file read with an 8-bit encoding (UTF-16 text has one in every ASCII character).
void refuseBinary(QFile& file, const QString& path, const DetectedEncoding& enc)
{
    const QByteArray head = file.peek(8192);
    static const struct
    {
        const char* magic;
        const char* what;
    } kinds[] = {{"\x89PNG", "a PNG image"},  {"\xFF\xD8\xFF", "a JPEG image"},
                 {"GIF8", "a GIF image"},       {"%PDF", "a PDF document"},
                 {"PK\x03\x04", "a ZIP archive (an .xlsx, .docx or .zip file)"},
                 {"\x1F\x8B", "a gzip archive"}};
    QString what;
    for (const auto& k : kinds)
        if (head.startsWith(k.magic))
            what = QString::fromLatin1(k.what);
    if (what.isEmpty() && (enc.name.startsWith(QLatin1String("UTF-16")) || !head.contains('\0')))
        return;
    throw Error(QStringLiteral("%1 is not a text file (it looks like %2), so it cannot be imported "
                               "as rows. Export the data as CSV (UTF-8), JSON Lines or plain text "
                               "and import that.")
                    .arg(label(path), what.isEmpty() ? QStringLiteral("binary data") : what));
}

// The file's bytes as UTF-8: the file itself when it is UTF-8 (streamed), else a decoded copy.
struct Utf8Input
{
    QFile file;
    QBuffer buffer;
    QByteArray decoded;
    QIODevice* device = nullptr;
    QString encoding;

    void open(const QString& path, const QString& forcedEncoding)
    {
        file.setFileName(path);
        if (!file.exists())
            throw Error(QStringLiteral("There is no file at %1.").arg(path));
        if (!file.open(QIODevice::ReadOnly))
            throw Error(QStringLiteral("Could not read %1: %2").arg(path, file.errorString()));
        if (file.size() == 0)
            throw Error(QStringLiteral("%1 is empty: there is no header line and no data.").arg(label(path)));
        DetectedEncoding enc = forcedEncoding.isEmpty() ? detectEncoding(file)
                                                        : DetectedEncoding{forcedEncoding, 0};
        refuseBinary(file, path, enc);
        encoding = enc.name;
        if (enc.isUtf8()) {
            device = &file; // CsvReader skips a UTF-8 BOM itself
            return;
        }
        decoded = decodeToUtf8(file, enc.name, enc.bomBytes);
        buffer.setData(decoded);
        buffer.open(QIODevice::ReadOnly);
        device = &buffer;
    }
};

char sniffDelimiter(const QByteArray& sample)
{
    const char candidates[] = {',', '\t', ';', '|'};
    char best = ',';
    double bestScore = 0;
    const QList<QByteArray> lines = sample.split('\n').mid(0, kSniffLines);
    for (char c : candidates) {
        QList<int> counts;
        for (const QByteArray& line : lines) {
            if (line.trimmed().isEmpty())
                continue;
            int n = 0;
            bool quoted = false;
            for (char ch : line) {
                if (ch == '"')
                    quoted = !quoted;
                else if (ch == c && !quoted)
                    ++n;
            }
            counts << n;
        }
        if (counts.isEmpty() || counts.first() == 0)
            continue;
        // Consistent counts across lines matter more than many occurrences in one line.
        const int agree = int(std::count(counts.begin(), counts.end(), counts.first()));
        const double score = double(agree) / counts.size() * 100 + counts.first();
        if (score > bestScore) {
            bestScore = score;
            best = c;
        }
    }
    return best;
}

// A first line is data, not a header, when one of its values also occurs further down its column
// (a repeated label such as "positive"), or when it is numeric where its column is.
bool firstRowIsHeader(const QList<QStringList>& rows)
{
    if (rows.size() < 2)
        return true;
    const QStringList& first = rows[0];
    if (QSet<QString>(first.begin(), first.end()).size() != first.size())
        return false;
    for (int c = 0; c < first.size(); ++c) {
        if (first[c].trimmed().isEmpty() || first[c].size() > 64 || looksNumeric(first[c]))
            return false;
        for (int r = 1; r < rows.size(); ++r)
            if (c < rows[r].size() && rows[r][c] == first[c])
                return false;
    }
    return true;
}

class CsvSource : public TableSource
{
public:
    CsvSource(const QString& path, const SourceOptions& o)
    {
        m_input.open(path, o.encoding);
        m_info.encoding = m_input.encoding;
        const QByteArray sample = m_input.device->peek(1 << 16);
        m_info.delimiter = o.delimiter ? o.delimiter
                           : o.format == TableFormat::Tsv ? '\t'
                                                          : sniffDelimiter(sample);
        m_reader.emplace(m_input.device, label(path), m_info.delimiter);
        // Sniff the header on the first records, which are replayed by next().
        CsvRecord r;
        while (m_pending.size() < kSniffLines && m_reader->next(r))
            m_pending << r;
        if (m_pending.isEmpty())
            throw Error(QStringLiteral("%1 is empty: there is no header line and no data.").arg(label(path)));
        QList<QStringList> rows;
        for (const CsvRecord& p : std::as_const(m_pending))
            rows << p.fields;
        m_info.hasHeader = o.header >= 0 ? o.header == 1 : firstRowIsHeader(rows);
        const int columns = int(m_pending.first().fields.size());
        if (m_info.hasHeader) {
            const CsvRecord head = m_pending.takeFirst();
            for (int i = 0; i < columns; ++i) {
                QString name = head.fields[i].trimmed();
                if (name.isEmpty())
                    name = QStringLiteral("column%1").arg(i + 1);
                const int previous = int(m_header.indexOf(name));
                if (previous >= 0)
                    throw Error(QStringLiteral("%1, line %2: columns %3 and %4 are both named '%5'. "
                                               "Rename one of them so each column has its own name.")
                                    .arg(label(path)).arg(head.line).arg(previous + 1).arg(i + 1).arg(name));
                m_header << name;
            }
        } else {
            for (int i = 0; i < columns; ++i)
                m_header << QStringLiteral("column%1").arg(i + 1);
        }
        m_size = m_input.device->size();
    }
    bool next(SourceRecord& out) override
    {
        CsvRecord r;
        if (!m_pending.isEmpty())
            r = m_pending.takeFirst();
        else if (!m_reader->next(r))
            return false;
        out.fields = std::move(r.fields);
        out.extra = {};
        out.line = r.line;
        return true;
    }
    qint64 position() const override { return m_reader->bytesConsumed(); }
    qint64 size() const override { return m_size; }

private:
    Utf8Input m_input;
    std::optional<CsvReader> m_reader;
    QList<CsvRecord> m_pending;
    qint64 m_size = 0;
};

// JSON Lines and JSON arrays share the key-to-column mapping.
class JsonSourceBase : public TableSource
{
protected:
    void fixHeader(const QList<QJsonObject>& sample)
    {
        for (const QJsonObject& o : sample)
            for (auto it = o.begin(); it != o.end(); ++it)
                if (!m_header.contains(it.key()))
                    m_header << it.key();
    }
    void fill(const QJsonObject& o, qint64 line, SourceRecord& out) const
    {
        out.fields.clear();
        out.extra = {};
        for (const QString& key : m_header)
            out.fields << jsonToText(o.value(key));
        for (auto it = o.begin(); it != o.end(); ++it)
            if (!m_header.contains(it.key()))
                out.extra.insert(it.key(), it.value());
        out.line = line;
    }
};

class JsonlSource : public JsonSourceBase
{
public:
    JsonlSource(const QString& path, const SourceOptions& o) : m_label(label(path))
    {
        m_input.open(path, o.encoding);
        m_info.encoding = m_input.encoding;
        m_size = m_input.device->size();
        QJsonObject obj;
        qint64 line = 0;
        QList<QJsonObject> sample;
        while (m_pending.size() < kJsonKeySample && readObject(obj, line)) {
            m_pending.append({obj, line});
            sample << obj;
        }
        if (m_pending.isEmpty())
            throw Error(QStringLiteral("%1 has no JSON objects to import.").arg(m_label));
        fixHeader(sample);
    }
    bool next(SourceRecord& out) override
    {
        if (!m_pending.isEmpty()) {
            const auto p = m_pending.takeFirst();
            fill(p.first, p.second, out);
            return true;
        }
        QJsonObject obj;
        qint64 line = 0;
        if (!readObject(obj, line))
            return false;
        fill(obj, line, out);
        return true;
    }
    qint64 position() const override { return m_input.device->pos(); }
    qint64 size() const override { return m_size; }

private:
    bool readObject(QJsonObject& obj, qint64& line)
    {
        while (!m_input.device->atEnd()) {
            QByteArray text = m_input.device->readLine();
            line = ++m_line;
            if (m_line == 1 && text.startsWith("\xEF\xBB\xBF"))
                text = text.mid(3);
            if (text.trimmed().isEmpty())
                continue;
            QJsonParseError err;
            const QJsonDocument doc = QJsonDocument::fromJson(text, &err);
            if (err.error != QJsonParseError::NoError)
                throw Error(QStringLiteral("%1, line %2: not valid JSON (%3 at character %4).")
                                .arg(m_label).arg(line).arg(err.errorString()).arg(err.offset + 1));
            if (!doc.isObject())
                throw Error(QStringLiteral("%1, line %2: each line must be a JSON object like "
                                           "{\"text\": \"...\", \"label\": \"...\"}.").arg(m_label).arg(line));
            obj = doc.object();
            return true;
        }
        return false;
    }

    QString m_label;
    Utf8Input m_input;
    QList<QPair<QJsonObject, qint64>> m_pending;
    qint64 m_line = 0;
    qint64 m_size = 0;
};

class JsonArraySource : public JsonSourceBase
{
public:
    JsonArraySource(const QString& path, const SourceOptions& o)
    {
        Utf8Input input;
        input.open(path, o.encoding);
        m_info.encoding = input.encoding;
        QByteArray bytes = input.device->readAll();
        if (bytes.startsWith("\xEF\xBB\xBF"))
            bytes = bytes.mid(3);
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
        if (err.error != QJsonParseError::NoError)
            throw Error(QStringLiteral("%1 is not valid JSON (%2 at byte %3).")
                            .arg(label(path), err.errorString()).arg(err.offset));
        if (!doc.isArray())
            throw Error(QStringLiteral("%1 must hold an array of objects: [{\"text\": ...}, ...].").arg(label(path)));
        m_items = doc.array();
        QList<QJsonObject> sample;
        for (int i = 0; i < m_items.size(); ++i) {
            if (!m_items[i].isObject())
                throw Error(QStringLiteral("%1, item %2: every item of the array must be an object.")
                                .arg(label(path)).arg(i + 1));
            if (i < kJsonKeySample)
                sample << m_items[i].toObject();
        }
        if (m_items.isEmpty())
            throw Error(QStringLiteral("%1 holds an empty array: nothing to import.").arg(label(path)));
        fixHeader(sample);
    }
    bool next(SourceRecord& out) override
    {
        if (m_next >= m_items.size())
            return false;
        fill(m_items[m_next].toObject(), m_next + 1, out);
        ++m_next;
        return true;
    }
    qint64 position() const override { return m_next; }
    qint64 size() const override { return m_items.size(); }

private:
    QJsonArray m_items;
    qsizetype m_next = 0;
};

class TextLinesSource : public TableSource
{
public:
    TextLinesSource(const QString& path, const SourceOptions& o)
    {
        m_input.open(path, o.encoding);
        m_info.encoding = m_input.encoding;
        m_info.hasHeader = false;
        m_header << QStringLiteral("text");
        m_size = m_input.device->size();
    }
    bool next(SourceRecord& out) override
    {
        while (!m_input.device->atEnd()) {
            QByteArray bytes = m_input.device->readLine();
            ++m_line;
            if (m_line == 1 && bytes.startsWith("\xEF\xBB\xBF"))
                bytes = bytes.mid(3);
            const QString text = QString::fromUtf8(bytes).trimmed();
            if (text.isEmpty())
                continue;
            out.fields = {text};
            out.extra = {};
            out.line = m_line;
            return true;
        }
        return false;
    }
    qint64 position() const override { return m_input.device->pos(); }
    qint64 size() const override { return m_size; }

private:
    Utf8Input m_input;
    qint64 m_line = 0;
    qint64 m_size = 0;
};

} // namespace

QString SourceInfo::describe() const
{
    QString d = encoding;
    if (delimiter == '\t')
        d += QStringLiteral(", tab-separated");
    else if (delimiter != ',')
        d += QStringLiteral(", separated by '%1'").arg(QLatin1Char(delimiter));
    d += hasHeader ? QStringLiteral(", first line is the header") : QStringLiteral(", no header line");
    return d;
}

std::unique_ptr<TableSource> openTableSource(const QString& path, const SourceOptions& options)
{
    switch (options.format) {
    case TableFormat::Csv:
    case TableFormat::Tsv: return std::make_unique<CsvSource>(path, options);
    case TableFormat::Jsonl: return std::make_unique<JsonlSource>(path, options);
    case TableFormat::Json: return std::make_unique<JsonArraySource>(path, options);
    case TableFormat::Text: return std::make_unique<TextLinesSource>(path, options);
    }
    throw Error(QStringLiteral("Unknown format."));
}

TableFormat formatForFile(const QString& path, const QString& requested)
{
    const QString f = (requested.isEmpty() ? QFileInfo(path).suffix() : requested).toLower();
    if (f == QLatin1String("csv") || (requested.isEmpty() && f.isEmpty()))
        return TableFormat::Csv;
    if (f == QLatin1String("tsv") || f == QLatin1String("tab"))
        return TableFormat::Tsv;
    if (f == QLatin1String("jsonl") || f == QLatin1String("ndjson"))
        return TableFormat::Jsonl;
    if (f == QLatin1String("json"))
        return TableFormat::Json;
    if (f == QLatin1String("txt") || f == QLatin1String("text"))
        return TableFormat::Text;
    if (f == QLatin1String("xlsx") || f == QLatin1String("xls") || f == QLatin1String("ods"))
        throw Error(QStringLiteral("Spreadsheet files cannot be imported directly. Open %1 in your "
                                   "spreadsheet program, use Save As > CSV (UTF-8), and import that.")
                        .arg(label(path)));
    throw Error(QStringLiteral("'%1' files cannot be imported; supported formats: csv, tsv, jsonl, json, txt.")
                    .arg(f));
}

QString formatName(TableFormat format)
{
    switch (format) {
    case TableFormat::Csv: return QStringLiteral("csv");
    case TableFormat::Tsv: return QStringLiteral("tsv");
    case TableFormat::Jsonl: return QStringLiteral("jsonl");
    case TableFormat::Json: return QStringLiteral("json");
    case TableFormat::Text: return QStringLiteral("txt");
    }
    return {};
}

bool looksNumeric(const QString& s)
{
    bool ok = false;
    s.trimmed().toDouble(&ok);
    return ok;
}

} // namespace fts
