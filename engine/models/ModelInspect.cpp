// Reads config.json, the tokenizer files and only the header of each safetensors file.
#include "models/ModelInspect.h"

#include "Error.h"
#include "models/Safetensors.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QLocale>
#include <QSet>

namespace fts {
namespace {

QJsonObject readJsonOrEmpty(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

SafetensorsHeader readHeader(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Could not read %1: %2").arg(path, f.errorString()));
    const QByteArray lenBytes = f.read(8);
    quint64 len = 0;
    for (int i = int(lenBytes.size()) - 1; i >= 0; --i)
        len = (len << 8) | uchar(lenBytes[i]);
    const QByteArray head = lenBytes + f.read(qint64(std::min<quint64>(len, kMaxSafetensorsHeaderBytes + 1)));
    return parseSafetensorsHeader(reinterpret_cast<const uint8_t*>(head.constData()), quint64(head.size()),
                                  quint64(f.size()), QFileInfo(path).fileName());
}

QString rowFor(const QString& name)
{
    static const QRegularExpression layer(QStringLiteral("(?:^|\\.)(?:layer|layers|h)\\.(\\d+)\\."));
    const auto m = layer.match(name);
    if (m.hasMatch())
        return QStringLiteral("layer %1").arg(m.captured(1));
    if (name.contains(QLatin1String("embed")) || name.contains(QLatin1String("wte")) || name.contains(QLatin1String("wpe")))
        return QStringLiteral("embeddings");
    if (name.contains(QLatin1String("pooler")))
        return QStringLiteral("pooler");
    if (name.contains(QLatin1String("classifier")) || name.startsWith(QLatin1String("lm_head")) ||
        name.startsWith(QLatin1String("score")) || name.startsWith(QLatin1String("cls.")))
        return QStringLiteral("head");
    if (name.contains(QLatin1String("ln_f")) || name.contains(QLatin1String("norm")))
        return QStringLiteral("final norm");
    return QStringLiteral("other");
}

void readTokenizer(const QDir& d, ModelInspection& m)
{
    const QJsonObject config = readJsonOrEmpty(d.filePath(QStringLiteral("tokenizer_config.json")));
    m.hasChatTemplate = config.contains(QLatin1String("chat_template"));
    const double maxLen = config.value(QLatin1String("model_max_length")).toDouble(0);
    if (maxLen > 0 && maxLen < 1e7) // HF writes 1e30 for "unlimited"
        m.maxLength = qint64(maxLen);
    if (d.exists(QStringLiteral("tokenizer.json"))) {
        const QJsonObject model = readJsonOrEmpty(d.filePath(QStringLiteral("tokenizer.json"))).value(QLatin1String("model")).toObject();
        m.tokenizerKind = model.value(QLatin1String("type")).toString().toLower();
        const QJsonValue vocab = model.value(QLatin1String("vocab"));
        m.vocabSize = vocab.isObject() ? vocab.toObject().size() : vocab.isArray() ? vocab.toArray().size() : -1;
    } else if (d.exists(QStringLiteral("tokenizer.model"))) {
        m.tokenizerKind = QStringLiteral("sentencepiece");
    } else if (d.exists(QStringLiteral("vocab.txt"))) {
        m.tokenizerKind = QStringLiteral("wordpiece");
        QFile f(d.filePath(QStringLiteral("vocab.txt")));
        if (f.open(QIODevice::ReadOnly))
            m.vocabSize = f.readAll().count('\n');
    } else if (d.exists(QStringLiteral("vocab.json")) && d.exists(QStringLiteral("merges.txt"))) {
        m.tokenizerKind = QStringLiteral("bpe");
        m.vocabSize = readJsonOrEmpty(d.filePath(QStringLiteral("vocab.json"))).size();
    }
}

} // namespace

ModelInspection inspectModelFolder(const QString& dir)
{
    const QDir d(dir);
    if (!d.exists())
        throw Error(QStringLiteral("There is no folder at %1.").arg(QDir::toNativeSeparators(dir)));
    ModelInspection m;
    m.dir = d.absolutePath();
    m.config = ModelConfig::load(dir);
    m.maxLength = m.config.maxPositions;

    if (d.exists(QStringLiteral("model.safetensors.index.json"))) {
        QSet<QString> files;
        const QJsonObject map = readJsonOrEmpty(d.filePath(QStringLiteral("model.safetensors.index.json"))).value(QLatin1String("weight_map")).toObject();
        for (auto it = map.begin(); it != map.end(); ++it)
            files.insert(it->toString());
        m.weightFiles = QStringList(files.begin(), files.end());
        m.weightFiles.sort();
    } else if (d.exists(QStringLiteral("model.safetensors"))) {
        m.weightFiles = {QStringLiteral("model.safetensors")};
    } else {
        const QStringList pickles = d.entryList({"*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl"}, QDir::Files);
        if (!pickles.isEmpty())
            throw Error(QStringLiteral("%1 holds its weights only as pickle files (%2). The studio never loads "
                                       "those: unpickling can run any code on this computer. Convert the "
                                       "weights to model.safetensors, or download the safetensors version.")
                            .arg(QDir::toNativeSeparators(dir), pickles.join(QStringLiteral(", "))));
        throw Error(QStringLiteral("%1 has no model.safetensors (or model.safetensors.index.json).").arg(QDir::toNativeSeparators(dir)));
    }
    QMap<QString, qint64> perRow;
    QStringList rowOrder;
    QSet<QString> dtypes;
    for (const QString& file : std::as_const(m.weightFiles)) {
        const QString path = d.filePath(file);
        if (!QFileInfo::exists(path))
            throw Error(QStringLiteral("The weight file %1 named in the index is missing.").arg(file));
        m.bytesOnDisk += QFileInfo(path).size();
        for (const SafetensorsEntry& e : readHeader(path).tensors) {
            qint64 n = 1;
            for (int64_t s : e.shape)
                n *= s;
            const QString name = QString::fromStdString(e.name);
            const QString row = rowFor(name);
            if (!perRow.contains(row))
                rowOrder << row;
            perRow[row] += n;
            m.parameters += n;
            dtypes.insert(QString::fromStdString(e.dtype));
        }
    }
    // Embeddings first, layers by number, then the rest.
    std::stable_sort(rowOrder.begin(), rowOrder.end(), [](const QString& a, const QString& b) {
        auto rank = [](const QString& r) {
            if (r == QLatin1String("embeddings")) return -1;
            if (r.startsWith(QLatin1String("layer "))) return r.mid(6).toInt();
            return 100000 + (r == QLatin1String("final norm") ? 0 : r == QLatin1String("pooler") ? 1 : r == QLatin1String("head") ? 2 : 3);
        };
        return rank(a) < rank(b);
    });
    for (const QString& r : rowOrder)
        m.layers.append({r, perRow.value(r)});
    m.dtypes = QStringList(dtypes.begin(), dtypes.end());
    m.dtypes.sort();
    readTokenizer(d, m);
    return m;
}

QJsonObject ModelInspection::toJson() const
{
    QJsonArray rows;
    for (const LayerRow& r : layers)
        rows.append(QJsonObject{{"name", r.name}, {"parameters", r.parameters}});
    return {{"dir", dir}, {"model_type", config.modelType}, {"architectures", QJsonArray::fromStringList(config.architectures)},
            {"hidden_size", qint64(config.hiddenSize)}, {"layers", qint64(config.numLayers)}, {"heads", qint64(config.numHeads)},
            {"kv_heads", qint64(config.numKvHeads)}, {"vocab_size", qint64(config.vocabSize)}, {"max_length", maxLength},
            {"parameters", parameters}, {"dtypes", QJsonArray::fromStringList(dtypes)},
            {"weight_files", QJsonArray::fromStringList(weightFiles)}, {"bytes_on_disk", bytesOnDisk},
            {"layer_table", rows}, {"tokenizer", tokenizerKind}, {"tokenizer_vocab_size", vocabSize},
            {"chat_template", hasChatTemplate}, {"labels", QJsonArray::fromStringList(config.labels)}};
}

QString ModelInspection::toText() const
{
    QStringList lines;
    lines << QStringLiteral("%1 (%2)").arg(QDir::toNativeSeparators(dir), config.architectures.join(QStringLiteral(", ")).isEmpty() ? config.modelType : config.architectures.join(QStringLiteral(", ")));
    lines << QStringLiteral("  type %1, hidden %2, %3 layers, %4 heads%5, vocabulary %6, max length %7")
                 .arg(config.modelType).arg(config.hiddenSize).arg(config.numLayers).arg(config.numHeads)
                 .arg(config.numKvHeads != config.numHeads ? QStringLiteral(" (%1 key/value)").arg(config.numKvHeads) : QString())
                 .arg(config.vocabSize).arg(maxLength);
    lines << QStringLiteral("  %1 parameters (%2), %3 MB on disk in %4")
                 .arg(QLocale::c().toString(parameters)).arg(dtypes.join(QStringLiteral(", ")))
                 .arg(double(bytesOnDisk) / 1e6, 0, 'f', 1).arg(weightFiles.join(QStringLiteral(", ")));
    lines << QStringLiteral("  tokenizer: %1%2%3").arg(tokenizerKind.isEmpty() ? QStringLiteral("none found") : tokenizerKind)
                 .arg(vocabSize >= 0 ? QStringLiteral(", %1 tokens").arg(vocabSize) : QString())
                 .arg(hasChatTemplate ? QStringLiteral(", chat template") : QString());
    lines << QStringLiteral("  %1 %2").arg(QStringLiteral("part"), -14).arg(QStringLiteral("parameters"));
    for (const LayerRow& r : layers)
        lines << QStringLiteral("  %1 %2").arg(r.name, -14).arg(QLocale::c().toString(r.parameters));
    return lines.join(QLatin1Char('\n'));
}

} // namespace fts
