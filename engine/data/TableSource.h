// Reading rows out of the file formats people export: CSV/TSV (any delimiter), JSON Lines, JSON
// arrays of objects, plain text. Every source yields a header and string fields aligned with it.
#pragma once

#include <QJsonObject>
#include <QStringList>

#include <memory>

namespace fts {

enum class TableFormat { Csv, Tsv, Jsonl, Json, Text };

struct SourceRecord
{
    // JSON and text: aligned with TableSource::header(), "" where a JSON object lacks a key. CSV:
    // the fields of the line, however many (the importer refuses a line that does not match).
    QStringList fields;
    QJsonObject extra;    // JSON keys first seen after the header was fixed: kept as metadata
    qint64 line = 0;      // 1-based line (CSV/JSONL/text) or item number (JSON array)
};

struct SourceOptions
{
    TableFormat format = TableFormat::Csv;
    QString encoding;     // empty: detect
    char delimiter = 0;   // CSV only; 0: detect among , ; tab |
    int header = -1;      // CSV only; -1 detect, 0 none (columns named column1..), 1 first line
};

// What was detected, for the preview ("UTF-8, comma-separated, with header").
struct SourceInfo
{
    QString encoding;
    char delimiter = ',';
    bool hasHeader = true;
    QString describe() const;
};

class TableSource
{
public:
    virtual ~TableSource() = default;
    const QStringList& header() const { return m_header; }
    const SourceInfo& info() const { return m_info; }
    // Throws fts::Error naming the file and line for malformed input.
    virtual bool next(SourceRecord& record) = 0;
    // For progress: position in the (decoded) input, and its total.
    virtual qint64 position() const = 0;
    virtual qint64 size() const = 0;

protected:
    QStringList m_header;
    SourceInfo m_info;
};

// Opens `path` in `options.format`; throws fts::Error for a missing, empty or unreadable file.
std::unique_ptr<TableSource> openTableSource(const QString& path, const SourceOptions& options);

// From the file name (or `requested` when given); explains spreadsheet formats. Throws fts::Error.
TableFormat formatForFile(const QString& path, const QString& requested = {});
QString formatName(TableFormat format);

// Whether a field reads as a number (surrounding spaces allowed).
bool looksNumeric(const QString& s);

} // namespace fts
