// The tiny GPT-2 fixture with room for few-shot prompts: its 64 positions hold no instruction and
// example, so this copy repeats the position table to `positions` rows (the other weights as they
// are). Rewritten at the byte level, so suites built without libtorch headers can use it too.
#pragma once

#include "DecoderFixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>

#include <algorithm>
#include <map>

namespace fts::test {

// Writes the folder `dir` and returns it; empty when the fixture could not be read.
inline QString longContextGpt2Folder(const QString& dir, int positions = 256)
{
    const QString fixture = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/gpt2/");
    QFile config(fixture + "config.json");
    QFile weights(fixture + "model.safetensors");
    if (!config.open(QIODevice::ReadOnly) || !weights.open(QIODevice::ReadOnly))
        return {};
    QJsonObject c = QJsonDocument::fromJson(config.readAll()).object();
    const int original = c.value(QLatin1String("n_positions")).toInt();
    c.insert(QStringLiteral("n_positions"), positions);

    // safetensors: u64 little-endian header length, the JSON header, then the tensors' bytes.
    const QByteArray file = weights.readAll();
    const quint64 headerLength = qFromLittleEndian<quint64>(file.constData());
    const QJsonObject header = QJsonDocument::fromJson(file.mid(8, qsizetype(headerLength))).object();
    const QByteArray data = file.mid(8 + qsizetype(headerLength));
    std::map<qint64, QString> byOffset; // the file's order
    for (auto it = header.begin(); it != header.end(); ++it)
        if (it.key() != QLatin1String("__metadata__"))
            byOffset[it.value().toObject().value(QLatin1String("data_offsets")).toArray()[0].toInteger()] = it.key();
    QJsonObject out;
    QByteArray outData;
    for (const auto& [begin, name] : byOffset) {
        QJsonObject t = header.value(name).toObject();
        const qint64 end = t.value(QLatin1String("data_offsets")).toArray()[1].toInteger();
        QByteArray bytes = data.mid(begin, end - begin);
        if (name == QLatin1String("transformer.wpe.weight")) { // [original, C] -> [positions, C]
            const qsizetype rowBytes = bytes.size() / original;
            bytes = bytes.repeated((positions + original - 1) / original).left(rowBytes * positions);
            QJsonArray shape = t.value(QLatin1String("shape")).toArray();
            shape[0] = positions;
            t.insert(QStringLiteral("shape"), shape);
        }
        t.insert(QStringLiteral("data_offsets"), QJsonArray{outData.size(), outData.size() + bytes.size()});
        out.insert(name, t);
        outData += bytes;
    }
    QByteArray json = QJsonDocument(out).toJson(QJsonDocument::Compact);
    json += QByteArray((8 - json.size() % 8) % 8, ' ');
    QByteArray length(8, '\0');
    qToLittleEndian<quint64>(quint64(json.size()), length.data());
    QDir().mkpath(dir);
    writeFile(dir + "/model.safetensors", length + json + outData);
    writeFile(dir + "/config.json", QJsonDocument(c).toJson());
    writeFile(dir + "/vocab.txt", smallWordPieceVocab());
    return dir;
}

} // namespace fts::test
