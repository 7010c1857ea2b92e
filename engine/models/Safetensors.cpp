// safetensors: u64 LE header length, JSON header, then tensors packed back to back (format spec at
// github.com/huggingface/safetensors). Validation mirrors the reference implementation's rules.
#include "models/Safetensors.h"

#include "Error.h"
#include "io/AtomicWrite.h"

#include <ATen/ATen.h>

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fts {
namespace {

struct DtypeInfo
{
    const char* name;
    at::ScalarType type;
    int bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2},
    {"BF16", at::kBFloat16, 2}, {"I64", at::kLong, 8}, {"I32", at::kInt, 4},
    {"I16", at::kShort, 2}, {"I8", at::kChar, 1}, {"U8", at::kByte, 1}, {"BOOL", at::kBool, 1},
};

const DtypeInfo* dtypeByName(const std::string& name)
{
    for (const DtypeInfo& d : kDtypes)
        if (name == d.name)
            return &d;
    return nullptr;
}

const DtypeInfo* dtypeByType(at::ScalarType type)
{
    for (const DtypeInfo& d : kDtypes)
        if (type == d.type)
            return &d;
    return nullptr;
}

} // namespace

TensorMap loadSafetensors(const QString& path, QMap<QString, QString>* metadata)
{
    const QString label = QFileInfo(path).fileName();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Could not read %1: %2").arg(path, file.errorString()));
    const uint64_t size = uint64_t(file.size());
    const uint8_t* base = size > 0 ? file.map(0, qint64(size)) : nullptr;
    QByteArray small;
    if (!base) { // empty file, or a file system that cannot map: read instead
        small = file.readAll();
        base = reinterpret_cast<const uint8_t*>(small.constData());
    }
    const SafetensorsHeader header = parseSafetensorsHeader(base, size, size, label);
    TensorMap out;
    for (const SafetensorsEntry& e : header.tensors) {
        const DtypeInfo* dtype = dtypeByName(e.dtype);
        at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(dtype->type));
        if (e.end > e.begin)
            std::memcpy(t.data_ptr(), base + header.dataStart + e.begin, e.end - e.begin);
        out.emplace(e.name, std::move(t));
    }
    if (metadata)
        *metadata = header.metadata;
    return out;
}

void saveSafetensors(const QString& path, const TensorMap& tensors,
                     const QMap<QString, QString>& metadata)
{
    QJsonObject root;
    std::vector<at::Tensor> ordered;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        const DtypeInfo* dtype = dtypeByType(tensor.scalar_type());
        if (!dtype)
            throw Error(QStringLiteral("Cannot save tensor '%1': its type %2 has no safetensors dtype.")
                            .arg(QString::fromStdString(name), QString::fromUtf8(c10::toString(tensor.scalar_type()))));
        at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
        const uint64_t bytes = uint64_t(t.numel()) * uint64_t(dtype->bytes);
        QJsonArray shape;
        for (int64_t d : t.sizes())
            shape.append(double(d));
        root.insert(QString::fromStdString(name),
                    QJsonObject{{"dtype", QLatin1String(dtype->name)},
                                {"shape", shape},
                                {"data_offsets", QJsonArray{double(offset), double(offset + bytes)}}});
        offset += bytes;
        ordered.push_back(std::move(t));
    }
    if (!metadata.isEmpty()) {
        QJsonObject meta;
        for (auto it = metadata.begin(); it != metadata.end(); ++it)
            meta.insert(it.key(), it.value());
        root.insert(QStringLiteral("__metadata__"), meta);
    }
    QByteArray json = QJsonDocument(root).toJson(QJsonDocument::Compact);
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    json.append(QByteArray((8 - json.size() % 8) % 8, ' '));
    writeFileAtomically(path, [&](QIODevice& out) {
        uint8_t len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = uint8_t((uint64_t(json.size()) >> (8 * i)) & 0xFF);
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(json);
        for (const at::Tensor& t : ordered)
            out.write(static_cast<const char*>(t.data_ptr()), qint64(t.nbytes()));
    });
}

} // namespace fts
