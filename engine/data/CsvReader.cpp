// CSV parsing on bytes (the syntax characters are ASCII, so UTF-8 text passes through untouched).
#include "data/CsvReader.h"

#include "Error.h"

#include <QStringDecoder>

namespace fts {
namespace {
constexpr qint64 kChunkBytes = 1 << 16;
constexpr int kEof = -1;
} // namespace

CsvReader::CsvReader(QIODevice* device, QString label, char delimiter)
    : m_device(device), m_label(std::move(label)), m_delimiter(delimiter)
{
}

int CsvReader::peek()
{
    if (m_pos >= m_buffer.size()) {
        m_buffer = m_device->read(kChunkBytes);
        m_pos = 0;
        if (m_buffer.isEmpty())
            return kEof;
    }
    return static_cast<unsigned char>(m_buffer[m_pos]);
}

int CsvReader::take()
{
    const int c = peek();
    if (c != kEof) {
        ++m_pos;
        ++m_consumed;
        if (c == '\n')
            ++m_line;
    }
    return c;
}

void CsvReader::fail(qint64 line, const QString& what) const
{
    throw Error(QStringLiteral("%1, line %2: %3").arg(m_label).arg(line).arg(what));
}

QString CsvReader::decodeField(const QByteArray& bytes, qint64 line) const
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder(bytes);
    if (decoder.hasError())
        fail(line, QStringLiteral("the text is not valid UTF-8. Save the file as UTF-8 (in most "
                                  "spreadsheet programs: Save As > CSV UTF-8) and import it again."));
    return text;
}

bool CsvReader::next(CsvRecord& record)
{
    if (m_atStart) {
        m_atStart = false;
        // A UTF-8 byte-order mark, as spreadsheet programs write it, is not part of the first field.
        if (peek() == 0xEF) {
            const QByteArray head = m_buffer.mid(m_pos, 3);
            if (head == QByteArray("\xEF\xBB\xBF", 3)) {
                m_pos += 3;
                m_consumed += 3;
            }
        }
    }
    // Skip blank lines between records.
    while (peek() == '\r' || peek() == '\n')
        take();
    if (peek() == kEof)
        return false;

    record.fields.clear();
    record.line = m_line;
    QByteArray field;
    for (;;) {
        field.clear();
        const qint64 fieldLine = m_line;
        int c = peek();
        if (c == '"') {
            take();
            for (;;) {
                c = take();
                if (c == kEof)
                    fail(fieldLine, QStringLiteral("a quoted field starts here but its closing "
                                                   "quote (\") is missing."));
                if (c == '"') {
                    if (peek() == '"') {
                        take();
                        field.append('"');
                        continue;
                    }
                    break;
                }
                field.append(char(c));
            }
            c = peek();
            if (c != m_delimiter && c != '\r' && c != '\n' && c != kEof)
                fail(m_line, QStringLiteral("unexpected character '%1' after the closing quote of "
                                            "field %2. A quote inside a quoted field must be doubled (\"\").")
                                 .arg(QChar(c))
                                 .arg(record.fields.size() + 1));
        } else {
            // Unquoted: a quote here is taken literally (e.g. 5" screen), as spreadsheet exports expect.
            while (c != kEof && c != m_delimiter && c != '\r' && c != '\n') {
                field.append(char(take()));
                c = peek();
            }
        }
        record.fields.append(decodeField(field, fieldLine));
        c = take();
        if (c == m_delimiter)
            continue;
        if (c == '\r' && peek() == '\n')
            take();
        return true; // end of line or end of input
    }
}

} // namespace fts
