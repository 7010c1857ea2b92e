// Detecting a text file's encoding (BOM, UTF-8 validity, UTF-16 without BOM) and converting to UTF-8.
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QString>

namespace fts {

struct DetectedEncoding
{
    QString name;   // "UTF-8", "UTF-16LE", "UTF-16BE" or "windows-1252"
    int bomBytes = 0;
    bool isUtf8() const { return name == QLatin1String("UTF-8"); }
};

// Reads the whole device once (streaming) and rewinds it. UTF-8 is chosen when every byte sequence
// is valid UTF-8; files that are not fall back to Windows-1252, the usual spreadsheet export on
// Windows (a superset of Latin-1 for printable text).
DetectedEncoding detectEncoding(QIODevice& device);

// Reads the rest of the device as `encoding` (name as above) and returns UTF-8 bytes without BOM.
// Throws fts::Error if the encoding is unknown.
QByteArray decodeToUtf8(QIODevice& device, const QString& encoding, int skipBytes = 0);

} // namespace fts
