// Fuzzes tokenizer.json as a model folder holds it: parsing, the WordPiece or byte-level BPE built
// from it, added tokens, special tokens and the post-processor, then encoding and decoding with
// whatever tokenizer came out; only fts::Error may come out.
#include "Error.h"
#include "tokenize/Tokenizer.h"

#include <QFile>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static QTemporaryDir dir; // the model folder, its tokenizer.json rewritten for every input
    {
        QFile f(dir.filePath(QStringLiteral("tokenizer.json")));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return 0;
        f.write(reinterpret_cast<const char*>(data), qint64(size));
    }
    try {
        const auto tokenizer = fts::loadTokenizer(dir.path());
        for (const QString& text : {QStringLiteral("Hello, world!"),
                                    QStringLiteral("  naïve café — 東京 \U0001F600 [MASK] <s>\n\t"),
                                    QString()}) {
            const fts::Encoding e = tokenizer->encode(text, QStringLiteral("a pair"));
            (void)tokenizer->decode(e.ids, false);
            (void)tokenizer->decode(e.ids, true);
            fts::EncodeOptions truncated;
            truncated.maxLength = 3;
            (void)tokenizer->encode(text, {}, truncated);
        }
        (void)tokenizer->decode({-1, 0, 1, 1 << 30}, false); // ids the vocabulary does not have
    } catch (const fts::Error&) {
    }
    return 0;
}
