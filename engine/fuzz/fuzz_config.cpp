// Fuzzes the config.json mapping: JSON objects with arbitrary fields; only fts::Error may come out.
#include "Error.h"
#include "models/ModelConfig.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)));
    if (!doc.isObject())
        return 0;
    try {
        const fts::ModelConfig c = fts::ModelConfig::fromJson(doc.object(), QStringLiteral("fuzz/config.json"));
        (void)c.toJson();
    } catch (const fts::Error&) {
    }
    return 0;
}
