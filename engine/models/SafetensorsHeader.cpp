// safetensors header parsing, without libtorch so the fuzz targets can build it with sanitizers.
// Format: u64 LE header length, JSON header, tensors back to back (github.com/huggingface/safetensors);
// validation mirrors the reference implementation's rules.
#include "models/SafetensorsHeader.h"

#include "Error.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace fts {
namespace {

struct DtypeSize
{
    const char* name;
    int bytes;
};

constexpr DtypeSize kDtypeSizes[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                     {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};

// JSON numbers arrive as doubles: accept only exact non-negative integers below 2^53.
bool toIndex(const QJsonValue& v, uint64_t* out)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    if (!(d >= 0) || d > 9007199254740992.0 || std::floor(d) != d)
        return false;
    *out = uint64_t(d);
    return true;
}

[[noreturn]] void fail(const QString& label, const QString& what)
{
    throw Error(QStringLiteral("%1 is not a valid safetensors file: %2").arg(label, what));
}

} // namespace

int safetensorsDtypeBytes(const std::string& name)
{
    for (const DtypeSize& d : kDtypeSizes)
        if (name == d.name)
            return d.bytes;
    return 0;
}

QString supportedSafetensorsDtypes()
{
    QStringList names;
    for (const DtypeSize& d : kDtypeSizes)
        names << QLatin1String(d.name);
    return names.join(QStringLiteral(", "));
}

SafetensorsHeader parseSafetensorsHeader(const uint8_t* data, uint64_t available, uint64_t fileSize,
                                         const QString& label)
{
    if (fileSize < 8 || available < 8)
        fail(label, QStringLiteral("the file is %1 bytes long, shorter than the 8-byte header length.")
                        .arg(fileSize));
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | data[i];
    if (headerLen > kMaxSafetensorsHeaderBytes)
        fail(label, QStringLiteral("the header claims %1 bytes; the format allows at most %2.")
                        .arg(headerLen)
                        .arg(kMaxSafetensorsHeaderBytes));
    if (headerLen > fileSize - 8)
        fail(label, QStringLiteral("the header claims %1 bytes but the file has only %2 after the "
                                   "length field (truncated download?).")
                        .arg(headerLen)
                        .arg(fileSize - 8));
    if (headerLen > available - 8)
        fail(label, QStringLiteral("the header could not be read whole."));
    const QByteArray json(reinterpret_cast<const char*>(data + 8), qsizetype(headerLen));
    if (json.isEmpty() || json[0] != '{')
        fail(label, QStringLiteral("the header does not start with '{'."));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        fail(label, QStringLiteral("the header is not valid JSON (%1 at byte %2).")
                        .arg(parseError.errorString())
                        .arg(parseError.offset));

    SafetensorsHeader header;
    header.dataStart = 8 + headerLen;
    const uint64_t dataSize = fileSize - header.dataStart;
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString key = it.key();
        if (key == QLatin1String("__metadata__")) {
            if (!it->isObject())
                fail(label, QStringLiteral("__metadata__ must be a map of strings."));
            const QJsonObject meta = it->toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m) {
                if (!m->isString())
                    fail(label, QStringLiteral("__metadata__ value '%1' is not a string.").arg(m.key()));
                header.metadata.insert(m.key(), m->toString());
            }
            continue;
        }
        auto tensorFail = [&](const QString& what) {
            fail(label, QStringLiteral("tensor '%1': %2").arg(key, what));
        };
        if (!it->isObject())
            tensorFail(QStringLiteral("its entry is not an object."));
        const QJsonObject t = it->toObject();
        SafetensorsEntry e;
        e.name = key.toStdString();
        e.dtype = t.value(QLatin1String("dtype")).toString().toStdString();
        const int dtypeBytes = safetensorsDtypeBytes(e.dtype);
        if (!t.value(QLatin1String("dtype")).isString())
            tensorFail(QStringLiteral("it has no dtype."));
        if (dtypeBytes == 0)
            tensorFail(QStringLiteral("dtype %1 is not supported (supported: %2).")
                           .arg(QString::fromStdString(e.dtype), supportedSafetensorsDtypes()));
        const QJsonValue shape = t.value(QLatin1String("shape"));
        if (!shape.isArray())
            tensorFail(QStringLiteral("it has no shape."));
        uint64_t elements = 1;
        for (const QJsonValue& d : shape.toArray()) {
            uint64_t dim = 0;
            if (!toIndex(d, &dim))
                tensorFail(QStringLiteral("its shape has a dimension that is not a non-negative integer."));
            if (dim != 0 && elements > (uint64_t(1) << 62) / dim)
                tensorFail(QStringLiteral("its shape is impossibly large."));
            elements *= dim;
            e.shape.push_back(int64_t(dim));
        }
        const QJsonArray offsets = t.value(QLatin1String("data_offsets")).toArray();
        if (offsets.size() != 2 || !toIndex(offsets[0], &e.begin) || !toIndex(offsets[1], &e.end))
            tensorFail(QStringLiteral("data_offsets must be two non-negative integers."));
        if (e.end < e.begin)
            tensorFail(QStringLiteral("data_offsets end before they begin."));
        if (e.end > dataSize)
            tensorFail(QStringLiteral("its data (bytes %1..%2) lies beyond the end of the file's "
                                      "%3 data bytes (truncated file?).")
                           .arg(e.begin)
                           .arg(e.end)
                           .arg(dataSize));
        if (elements * uint64_t(dtypeBytes) != e.end - e.begin)
            tensorFail(QStringLiteral("shape x dtype is %1 bytes but data_offsets span %2.")
                           .arg(elements * uint64_t(dtypeBytes))
                           .arg(e.end - e.begin));
        header.tensors.push_back(std::move(e));
    }
    std::sort(header.tensors.begin(), header.tensors.end(),
              [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                  return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
              });
    uint64_t expected = 0;
    for (const SafetensorsEntry& e : header.tensors) {
        if (e.begin < expected)
            fail(label, QStringLiteral("tensor '%1' overlaps the tensor before it.")
                            .arg(QString::fromStdString(e.name)));
        if (e.begin > expected)
            fail(label, QStringLiteral("there are unused bytes before tensor '%1'.")
                            .arg(QString::fromStdString(e.name)));
        expected = e.end;
    }
    if (expected != dataSize)
        fail(label, QStringLiteral("the file has %1 data bytes but its tensors use %2.")
                        .arg(dataSize)
                        .arg(expected));
    return header;
}

} // namespace fts
