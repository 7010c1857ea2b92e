// Fuzzes the CSV reader with every delimiter it is used with; only fts::Error may come out.
#include "Error.h"
#include "data/CsvReader.h"

#include <QBuffer>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    for (char delimiter : {',', '\t', ';'}) {
        QBuffer buffer;
        buffer.setData(bytes);
        buffer.open(QIODevice::ReadOnly);
        fts::CsvReader reader(&buffer, QStringLiteral("fuzz.csv"), delimiter);
        fts::CsvRecord record;
        try {
            while (reader.next(record)) {
            }
        } catch (const fts::Error&) {
        }
    }
    return 0;
}
