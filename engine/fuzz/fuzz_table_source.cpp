// Fuzzes the importers' readers: the same bytes as JSON Lines, a JSON array, plain text and CSV
// with detected encoding, delimiter and header; only fts::Error may come out.
#include "Error.h"
#include "data/TableSource.h"

#include <QFile>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static QTemporaryDir dir; // one file, rewritten for every input
    const QString path = dir.filePath(QStringLiteral("input"));
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return 0;
        f.write(reinterpret_cast<const char*>(data), qint64(size));
    }
    for (fts::TableFormat format : {fts::TableFormat::Jsonl, fts::TableFormat::Json,
                                    fts::TableFormat::Text, fts::TableFormat::Csv}) {
        fts::SourceOptions options;
        options.format = format;
        try {
            auto source = fts::openTableSource(path, options);
            fts::SourceRecord record;
            while (source->next(record)) {
                // JSON and text sources align every record with the header; a CSV record has
                // the fields its line has, which the importer checks and reports by line.
                if (format != fts::TableFormat::Csv &&
                    record.fields.size() != source->header().size())
                    __builtin_trap();
            }
        } catch (const fts::Error&) {
        }
    }
    return 0;
}
