// GGUF v3 layout (all little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata
// count; metadata as (string key, u32 type, value); tensor infos as (string name, u32 n_dims,
// u64 dims[n], u32 type, u64 offset); padding to general.alignment (32); then the tensor data,
// each tensor's offset aligned too. Strings are u64 length + UTF-8 bytes, no terminator.
#include "deploy/Gguf.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "models/Decoder.h"
#include "tokenize/SentencePieceModelFile.h"
#include "tokenize/Tokenizer.h"
#include "tokenize/TokenizerFiles.h"

#include <ATen/ATen.h>

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

namespace fts {
namespace {

enum ValueType : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32V = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12
};
constexpr uint64_t kAlignment = 32;
constexpr int kQ8Block = 32;

// Buffers the header in memory (it is small), then streams the tensor data.
class Writer
{
public:
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void str(const QByteArray& s)
    {
        u64(uint64_t(s.size()));
        m_bytes += s;
    }
    void raw(const void* p, size_t n) { m_bytes.append(static_cast<const char*>(p), qsizetype(n)); }
    void pad()
    {
        while (uint64_t(m_bytes.size()) % kAlignment)
            m_bytes.append('\0');
    }
    QByteArray& bytes() { return m_bytes; }

private:
    QByteArray m_bytes;
};

struct Kv
{
    QByteArray key;
    uint32_t type;
    std::function<void(Writer&)> write;
};

Kv kvString(const char* key, const QString& v)
{
    return {key, STRING, [v](Writer& w) { w.str(v.toUtf8()); }};
}
Kv kvU32(const char* key, uint32_t v)
{
    return {key, U32, [v](Writer& w) { w.u32(v); }};
}
Kv kvBool(const char* key, bool v)
{
    return {key, BOOL, [v](Writer& w) { const char b = v ? 1 : 0; w.raw(&b, 1); }};
}
Kv kvF32(const char* key, float v)
{
    return {key, F32V, [v](Writer& w) { w.raw(&v, 4); }};
}
Kv kvStrings(const char* key, const QStringList& items)
{
    return {key, ARRAY, [items](Writer& w) {
                w.u32(STRING);
                w.u64(uint64_t(items.size()));
                for (const QString& s : items)
                    w.str(s.toUtf8());
            }};
}
template <typename T> Kv kvNumbers(const char* key, uint32_t type, const std::vector<T>& items)
{
    return {key, ARRAY, [type, items](Writer& w) {
                w.u32(type);
                w.u64(uint64_t(items.size()));
                w.raw(items.data(), items.size() * sizeof(T));
            }};
}

struct OutTensor
{
    std::string name;
    at::Tensor data; // fp32, PyTorch order
    GgufTensorType type;
};

// HF's rotary embedding rotates the two halves of each head; llama.cpp's "llama" architecture
// rotates adjacent pairs, so q and k rows are interleaved per head (as llama.cpp's converter does).
at::Tensor interleaveHeads(const at::Tensor& w, int64_t heads)
{
    const int64_t out = w.size(0);
    std::vector<int64_t> shape = {heads, 2, out / heads / 2};
    for (int64_t d = 1; d < w.dim(); ++d)
        shape.push_back(w.size(d));
    return w.reshape(shape).transpose(1, 2).reshape(w.sizes()); // [out, in] -> [out, in]
}

std::string blockName(const std::string& hf, const std::string& prefix, std::string& rest)
{
    // "<prefix>N.<rest>" -> "blk.N."
    const size_t dot = hf.find('.', prefix.size());
    rest = hf.substr(dot + 1);
    return "blk." + hf.substr(prefix.size(), dot - prefix.size()) + ".";
}

std::string gpt2Name(const std::string& hf)
{
    static const std::map<std::string, std::string> top = {
        {"transformer.wte.weight", "token_embd.weight"},
        {"transformer.wpe.weight", "position_embd.weight"},
        {"transformer.ln_f.weight", "output_norm.weight"},
        {"transformer.ln_f.bias", "output_norm.bias"},
        {"lm_head.weight", "output.weight"}};
    if (top.count(hf))
        return top.at(hf);
    static const std::map<std::string, std::string> layer = {
        {"ln_1", "attn_norm"}, {"attn.c_attn", "attn_qkv"}, {"attn.c_proj", "attn_output"},
        {"ln_2", "ffn_norm"},  {"mlp.c_fc", "ffn_up"},      {"mlp.c_proj", "ffn_down"}};
    if (hf.rfind("transformer.h.", 0) != 0)
        return {};
    std::string rest;
    const std::string blk = blockName(hf, "transformer.h.", rest);
    const size_t last = rest.rfind('.');
    const auto it = layer.find(rest.substr(0, last));
    return it == layer.end() ? std::string() : blk + it->second + rest.substr(last);
}

std::string llamaName(const std::string& hf)
{
    static const std::map<std::string, std::string> top = {
        {"model.embed_tokens.weight", "token_embd.weight"},
        {"model.norm.weight", "output_norm.weight"},
        {"lm_head.weight", "output.weight"}};
    if (top.count(hf))
        return top.at(hf);
    static const std::map<std::string, std::string> layer = {
        {"input_layernorm", "attn_norm"},    {"self_attn.q_proj", "attn_q"},
        {"self_attn.k_proj", "attn_k"},      {"self_attn.v_proj", "attn_v"},
        {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
        {"mlp.gate_proj", "ffn_gate"},       {"mlp.up_proj", "ffn_up"},
        {"mlp.down_proj", "ffn_down"}};
    if (hf.rfind("model.layers.", 0) != 0)
        return {};
    std::string rest;
    const std::string blk = blockName(hf, "model.layers.", rest);
    const size_t last = rest.rfind('.');
    const auto it = layer.find(rest.substr(0, last));
    return it == layer.end() ? std::string() : blk + it->second + rest.substr(last);
}

std::vector<OutTensor> mapTensors(const DecoderModel& model, const QString& arch,
                                  GgufTensorType matrixType)
{
    const ModelConfig& c = model.config();
    std::vector<OutTensor> out;
    for (const auto& [hf, tensor] : model.weightsToSave()) {
        const std::string name = arch == QLatin1String("gpt2") ? gpt2Name(hf) : llamaName(hf);
        if (name.empty())
            throw Error(QStringLiteral("The weight %1 has no place in a GGUF %2 model; the model "
                                       "cannot be exported to GGUF.")
                            .arg(QString::fromStdString(hf), arch));
        at::Tensor t = tensor.detach().to(at::kFloat).contiguous();
        // Every matrix inside GPT-2's blocks is a Conv1D stored [in, out]; GGUF rows are outputs.
        if (arch == QLatin1String("gpt2") && t.dim() == 2 && hf.rfind("transformer.h.", 0) == 0)
            t = t.t().contiguous();
        if (arch == QLatin1String("llama") && name.find("attn_q.") != std::string::npos)
            t = interleaveHeads(t, c.numHeads).contiguous();
        if (arch == QLatin1String("llama") && name.find("attn_k.") != std::string::npos)
            t = interleaveHeads(t, c.numKvHeads).contiguous();
        const bool matrix = t.dim() == 2;
        GgufTensorType type = matrix ? matrixType : GgufTensorType::F32;
        if (type == GgufTensorType::Q8_0 && t.size(1) % kQ8Block != 0)
            type = GgufTensorType::F16; // rows must hold whole blocks
        out.push_back({name, t, type});
    }
    return out;
}

QByteArray tensorBytes(const OutTensor& t)
{
    if (t.type == GgufTensorType::Q8_0)
        return quantizeQ8_0(t.data);
    const at::Tensor c =
        t.type == GgufTensorType::F16 ? t.data.to(at::kHalf).contiguous() : t.data.contiguous();
    return QByteArray(static_cast<const char*>(c.data_ptr()), qsizetype(c.nbytes()));
}

void tokenizerMetadata(const QString& modelDir, std::vector<Kv>& kv)
{
    const std::unique_ptr<Tokenizer> tok = loadTokenizer(modelDir);
    const QString kind = tok->kind();
    const TokenizerFiles files = TokenizerFiles::read(modelDir);
    // A SentencePiece model's own scores and piece types. llama.cpp's "llama" tokenizer merges
    // pieces by score like sentencepiece's BPE; a unigram model needs its Viterbi search ("t5"),
    // with the real log-probabilities and normalizer, or llama.cpp cuts words differently.
    std::optional<SentencePieceFile> spm;
    const QString spmPath = QDir(modelDir).filePath(QStringLiteral("tokenizer.model"));
    if (kind == QLatin1String("sentencepiece") && QFileInfo::exists(spmPath))
        spm = SentencePieceFile::read(spmPath);
    const bool unigram = spm && spm->algorithm == SentencePieceFile::Algorithm::Unigram;
    kv.push_back(kvString("tokenizer.ggml.model", kind == QLatin1String("bpe") ? "gpt2"
                                                  : kind == QLatin1String("sentencepiece")
                                                      ? (unigram ? "t5" : "llama")
                                                      : "bert"));
    QStringList tokens;
    std::vector<int32_t> types;
    std::vector<float> scores;
    static const QRegularExpression byteToken(QStringLiteral("^<0x[0-9A-Fa-f]{2}>$"));
    const SpecialIds& s = tok->specialIds();
    for (int i = 0; i < tok->vocabSize(); ++i) {
        const QString t = tok->idToToken(i);
        tokens << t;
        bool control = false;
        for (const AddedToken& a : tok->addedTokens())
            control = control || (a.id == i && a.special);
        if (spm && size_t(i) < spm->pieces.size()) {
            // sentencepiece numbers piece types as llama.cpp numbers token types; a normal piece
            // the tokenizer treats as special (a chat marker) is control.
            const auto type = int32_t(spm->pieces[size_t(i)].type);
            types.push_back(control && type == int32_t(SentencePieceFile::PieceType::Normal) ? 3 : type);
            scores.push_back(spm->pieces[size_t(i)].score);
            continue;
        }
        // token_type: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte (llama.cpp's enum).
        types.push_back(i == s.unk ? 2 : control ? 3 : byteToken.match(t).hasMatch() ? 6 : 1);
        // Without the model file: by id is the order sentencepiece BPE models rank pieces in.
        scores.push_back(-float(i));
    }
    kv.push_back(kvStrings("tokenizer.ggml.tokens", tokens));
    kv.push_back(kvNumbers("tokenizer.ggml.token_type", I32, types));
    if (kind == QLatin1String("sentencepiece")) {
        kv.push_back(kvNumbers("tokenizer.ggml.scores", F32V, scores));
        // llama.cpp's defaults differ by tokenizer ("t5" adds no space prefix and appends EOS):
        // say what this model does.
        kv.push_back(kvBool("tokenizer.ggml.add_bos_token",
                            files.configFlag(QStringLiteral("add_bos_token")).value_or(true)));
        kv.push_back(kvBool("tokenizer.ggml.add_eos_token",
                            files.configFlag(QStringLiteral("add_eos_token")).value_or(false)));
        if (spm) {
            kv.push_back(kvBool("tokenizer.ggml.add_space_prefix", spm->addDummyPrefix));
            kv.push_back(kvBool("tokenizer.ggml.remove_extra_whitespaces", spm->removeExtraWhitespaces));
            if (unigram && !spm->precompiledCharsmap.isEmpty()) {
                const std::vector<uint8_t> charsmap(spm->precompiledCharsmap.begin(), spm->precompiledCharsmap.end());
                kv.push_back(kvNumbers("tokenizer.ggml.precompiled_charsmap", U8, charsmap));
            }
        }
    }
    if (kind == QLatin1String("bpe")) {
        QStringList merges;
        QFile f(QDir(modelDir).filePath(QStringLiteral("merges.txt")));
        if (f.open(QIODevice::ReadOnly)) {
            for (const QByteArray& line : f.readAll().split('\n'))
                if (!line.isEmpty() && !line.startsWith("#version"))
                    merges << QString::fromUtf8(line.trimmed());
        } else {
            for (const QJsonValue& m : files.tokenizerJson.value(QLatin1String("model"))
                                           .toObject()
                                           .value(QLatin1String("merges"))
                                           .toArray())
                merges << (m.isArray() ? m.toArray()[0].toString() + ' ' + m.toArray()[1].toString()
                                       : m.toString());
        }
        kv.push_back(kvStrings("tokenizer.ggml.merges", merges));
    }
    const std::pair<const char*, int64_t> ids[] = {
        {"tokenizer.ggml.bos_token_id", s.bos >= 0 ? s.bos : s.cls},
        {"tokenizer.ggml.eos_token_id", s.eos >= 0 ? s.eos : s.sep},
        {"tokenizer.ggml.unknown_token_id", s.unk},
        {"tokenizer.ggml.padding_token_id", s.pad}};
    for (const auto& [key, id] : ids)
        if (id >= 0)
            kv.push_back(kvU32(key, uint32_t(id)));
    const QString chat = files.chatTemplate();
    if (!chat.isEmpty())
        kv.push_back(kvString("tokenizer.chat_template", chat));
}

std::vector<Kv> modelMetadata(const ModelConfig& c, const QString& arch, const QString& name,
                              GgufTensorType type)
{
    const QByteArray a = arch.toUtf8();
    const auto key = [&a](const char* k) { return a + '.' + k; };
    std::vector<Kv> kv = {kvString("general.architecture", arch), kvString("general.name", name),
                          kvU32("general.alignment", uint32_t(kAlignment)),
                          // general.file_type: 1 = mostly F16, 7 = mostly Q8_0 (llama_ftype).
                          kvU32("general.file_type", type == GgufTensorType::Q8_0 ? 7 : 1)};
    const auto u32 = [&](const char* k, int64_t v) {
        kv.push_back({key(k), U32, [v](Writer& w) { w.u32(uint32_t(v)); }});
    };
    const auto f32 = [&](const char* k, double v) {
        const float f = float(v);
        kv.push_back({key(k), F32V, [f](Writer& w) { w.raw(&f, 4); }});
    };
    u32("context_length", c.maxPositions);
    u32("embedding_length", c.hiddenSize);
    u32("block_count", c.numLayers);
    u32("feed_forward_length", c.intermediateSize);
    u32("attention.head_count", c.numHeads);
    if (arch == QLatin1String("gpt2")) {
        f32("attention.layer_norm_epsilon", c.layerNormEps);
    } else {
        u32("attention.head_count_kv", c.numKvHeads);
        u32("rope.dimension_count", c.headDim);
        f32("attention.layer_norm_rms_epsilon", c.rmsNormEps);
        f32("rope.freq_base", c.ropeTheta);
    }
    return kv;
}

} // namespace

QByteArray quantizeQ8_0(const at::Tensor& rowMajor)
{
    const at::Tensor x = rowMajor.to(at::kFloat).contiguous().view({-1, kQ8Block}); // [blocks, 32]
    const at::Tensor amax = x.abs().amax(1, /*keepdim=*/true);
    const at::Tensor d = amax / 127.0;
    // A zero block keeps scale 0 and all-zero quants.
    const at::Tensor inv = at::where(d > 0, d.reciprocal(), at::zeros_like(d));
    const at::Tensor q = at::round(x * inv).clamp(-127, 127).to(at::kChar).contiguous();
    const at::Tensor dh = d.to(at::kHalf).contiguous();
    QByteArray out;
    out.reserve(qsizetype(x.size(0) * (2 + kQ8Block)));
    for (int64_t b = 0; b < x.size(0); ++b) {
        out.append(static_cast<const char*>(dh[b].data_ptr()), 2);
        out.append(static_cast<const char*>(q[b].data_ptr()), kQ8Block);
    }
    return out;
}

at::Tensor dequantizeQ8_0(const QByteArray& blocks, int64_t numel)
{
    const int64_t n = numel / kQ8Block;
    at::Tensor out = at::empty({n, kQ8Block}, at::kFloat);
    for (int64_t b = 0; b < n; ++b) {
        const char* p = blocks.constData() + b * (2 + kQ8Block);
        at::Half d;
        std::memcpy(&d, p, 2);
        const at::Tensor q = at::from_blob(const_cast<char*>(p + 2), {kQ8Block}, at::kChar);
        out[b].copy_(q.to(at::kFloat) * float(d));
    }
    return out.view({numel});
}

void exportGguf(const QString& modelDir, const QString& outFile, const GgufExportOptions& options)
{
    if (options.type != GgufTensorType::F16 && options.type != GgufTensorType::Q8_0)
        throw Error(QStringLiteral("GGUF export writes F16 or Q8_0."));
    const ModelConfig config = ModelConfig::load(modelDir);
    if (!config.isDecoder())
        throw Error(QStringLiteral("GGUF files hold text generators for llama.cpp; %1 is a %2 "
                                   "encoder. Export it as a Hugging Face folder instead.")
                        .arg(QDir::toNativeSeparators(modelDir), config.modelType));
    const QString arch = config.family == ModelFamily::Gpt2           ? QStringLiteral("gpt2")
                         : config.modelType == QLatin1String("qwen2") ? QStringLiteral("qwen2")
                                                                      : QStringLiteral("llama");
    const std::shared_ptr<DecoderModel> model = loadDecoder(modelDir);
    const std::vector<OutTensor> tensors = mapTensors(*model, arch, options.type);
    std::vector<Kv> kv = modelMetadata(
        config, arch, options.name.isEmpty() ? QFileInfo(modelDir).fileName() : options.name,
        options.type);
    tokenizerMetadata(modelDir, kv);

    Writer w;
    w.raw("GGUF", 4);
    w.u32(3);
    w.u64(tensors.size());
    w.u64(kv.size());
    for (const Kv& k : kv) {
        w.str(k.key);
        w.u32(k.type);
        k.write(w);
    }
    std::vector<QByteArray> data;
    uint64_t offset = 0;
    for (const OutTensor& t : tensors) {
        data.push_back(tensorBytes(t));
        w.str(QByteArray::fromStdString(t.name));
        w.u32(uint32_t(t.data.dim()));
        for (int64_t d = t.data.dim() - 1; d >= 0; --d) // ggml lists the innermost dim first
            w.u64(uint64_t(t.data.size(d)));
        w.u32(uint32_t(t.type));
        w.u64(offset);
        offset += (uint64_t(data.back().size()) + kAlignment - 1) / kAlignment * kAlignment;
    }
    w.pad();
    writeFileAtomically(outFile, [&](QIODevice& out) {
        out.write(w.bytes());
        for (const QByteArray& bytes : data) {
            out.write(bytes);
            const qsizetype padding =
                qsizetype((kAlignment - uint64_t(bytes.size()) % kAlignment) % kAlignment);
            out.write(QByteArray(padding, '\0'));
        }
    });
}

namespace {

class GgufReader
{
public:
    GgufReader(QFile& f, const QString& path) : m_f(f), m_path(path) {}
    void raw(void* p, qint64 n)
    {
        if (m_f.read(static_cast<char*>(p), n) != n)
            throw Error(QStringLiteral("%1 ends early; the GGUF file is truncated.").arg(m_path));
    }
    uint32_t u32()
    {
        uint32_t v;
        raw(&v, 4);
        return v;
    }
    uint64_t u64()
    {
        uint64_t v;
        raw(&v, 8);
        return v;
    }
    QString str()
    {
        const uint64_t n = u64();
        if (n > uint64_t(m_f.size()))
            throw Error(QStringLiteral("%1 has a string longer than the file.").arg(m_path));
        QByteArray b(qsizetype(n), Qt::Uninitialized);
        raw(b.data(), qint64(n));
        return QString::fromUtf8(b);
    }
    QVariant value(uint32_t type)
    {
        switch (type) {
        case U8: {
            uint8_t v;
            raw(&v, 1);
            return quint64(v);
        }
        case I8: {
            int8_t v;
            raw(&v, 1);
            return qint64(v);
        }
        case U16: {
            uint16_t v;
            raw(&v, 2);
            return quint64(v);
        }
        case I16: {
            int16_t v;
            raw(&v, 2);
            return qint64(v);
        }
        case U32:
            return quint64(u32());
        case I32: {
            int32_t v;
            raw(&v, 4);
            return qint64(v);
        }
        case F32V: {
            float v;
            raw(&v, 4);
            return double(v);
        }
        case BOOL: {
            uint8_t v;
            raw(&v, 1);
            return v != 0;
        }
        case STRING:
            return str();
        case U64:
            return quint64(u64());
        case I64: {
            int64_t v;
            raw(&v, 8);
            return qint64(v);
        }
        case F64: {
            double v;
            raw(&v, 8);
            return v;
        }
        case ARRAY: {
            const uint32_t inner = u32();
            const uint64_t n = u64();
            if (n > uint64_t(m_f.size()))
                throw Error(QStringLiteral("%1 has an array longer than the file.").arg(m_path));
            QVariantList list;
            for (uint64_t i = 0; i < n; ++i)
                list << value(inner);
            return list;
        }
        default:
            throw Error(
                QStringLiteral("%1 has an unknown metadata type %2.").arg(m_path).arg(type));
        }
    }

private:
    QFile& m_f;
    QString m_path;
};

} // namespace

GgufFile readGguf(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("Cannot open %1: %2.").arg(path, f.errorString()));
    GgufReader r(f, path);
    char magic[4];
    r.raw(magic, 4);
    if (std::memcmp(magic, "GGUF", 4) != 0)
        throw Error(QStringLiteral("%1 is not a GGUF file (no GGUF magic).").arg(path));
    GgufFile g;
    g.version = r.u32();
    const uint64_t tensors = r.u64();
    const uint64_t keys = r.u64();
    for (uint64_t i = 0; i < keys; ++i) {
        const std::string key = r.str().toStdString();
        const uint32_t type = r.u32();
        g.metadataTypes[key] = type;
        g.metadata[key] = r.value(type);
    }
    for (uint64_t i = 0; i < tensors; ++i) {
        GgufTensorInfo t;
        t.name = r.str().toStdString();
        const uint32_t dims = r.u32();
        for (uint32_t d = 0; d < dims; ++d)
            t.dims.push_back(r.u64());
        t.type = GgufTensorType(r.u32());
        t.offset = r.u64();
        g.tensors.push_back(t);
    }
    const uint64_t align = g.metadata.count("general.alignment")
                               ? g.metadata["general.alignment"].toULongLong()
                               : kAlignment;
    g.dataOffset = (uint64_t(f.pos()) + align - 1) / align * align;
    return g;
}

at::Tensor readGgufTensor(const QString& path, const GgufFile& file, const std::string& name)
{
    for (const GgufTensorInfo& t : file.tensors) {
        if (t.name != name)
            continue;
        std::vector<int64_t> shape(t.dims.rbegin(), t.dims.rend());
        int64_t numel = 1;
        for (int64_t d : shape)
            numel *= d;
        const qint64 bytes = t.type == GgufTensorType::Q8_0  ? numel / kQ8Block * (2 + kQ8Block)
                             : t.type == GgufTensorType::F16 ? numel * 2
                                                             : numel * 4;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly) || !f.seek(qint64(file.dataOffset + t.offset)))
            throw Error(QStringLiteral("Cannot read tensor %1 of %2.")
                            .arg(QString::fromStdString(name), path));
        const QByteArray data = f.read(bytes);
        if (data.size() != bytes)
            throw Error(QStringLiteral("%1: tensor %2 is truncated.")
                            .arg(path, QString::fromStdString(name)));
        if (t.type == GgufTensorType::Q8_0)
            return dequantizeQ8_0(data, numel).view(shape);
        const auto dtype = t.type == GgufTensorType::F16 ? at::kHalf : at::kFloat;
        return at::from_blob(const_cast<char*>(data.constData()), shape, dtype)
            .to(at::kFloat)
            .clone();
    }
    throw Error(QStringLiteral("%1 has no tensor %2.").arg(path, QString::fromStdString(name)));
}

} // namespace fts
