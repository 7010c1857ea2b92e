// Streaming RFC 4180 reader (quotes, embedded newlines, CRLF, BOM) that reports the line of every error.
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QStringList>

namespace fts {

struct CsvRecord
{
    QStringList fields;
    qint64 line = 0; // 1-based line on which the record starts
};

class CsvReader
{
public:
    // `label` names the source in error messages (usually the file name). The device must stay open.
    CsvReader(QIODevice* device, QString label, char delimiter = ',');

    // Reads the next record; false at end of input. Blank lines are skipped.
    // Throws fts::Error naming the line for an unclosed quote, a stray character after a closing
    // quote, or text that is not valid UTF-8.
    bool next(CsvRecord& record);
    qint64 bytesConsumed() const { return m_consumed; }

private:
    int peek();
    int take();
    [[noreturn]] void fail(qint64 line, const QString& what) const;
    QString decodeField(const QByteArray& bytes, qint64 line) const;

    QIODevice* m_device;
    QString m_label;
    char m_delimiter;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    qint64 m_consumed = 0;
    qint64 m_line = 1;
    bool m_atStart = true;
};

} // namespace fts
