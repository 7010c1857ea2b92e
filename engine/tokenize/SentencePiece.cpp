// Loads libftspm with RTLD_DEEPBIND so sentencepiece binds to its own protobuf, not libtorch's.
#include "tokenize/SentencePiece.h"

#include "Error.h"
#include "tokenize/spm_shim/spm_shim_api.h"

#include <QDir>
#include <QFileInfo>
#include <QMutex>
#include <QStringList>

#include <dlfcn.h>

namespace fts {
namespace {

struct ShimApi
{
    QString path;
    decltype(&ftspm_abi_version) abiVersion = nullptr;
    decltype(&ftspm_load) load = nullptr;
    decltype(&ftspm_free) free = nullptr;
    decltype(&ftspm_encode) encode = nullptr;
    decltype(&ftspm_decode) decode = nullptr;
    decltype(&ftspm_vocab_size) vocabSize = nullptr;
    decltype(&ftspm_id_to_piece) idToPiece = nullptr;
    decltype(&ftspm_piece_to_id) pieceToId = nullptr;
    decltype(&ftspm_special_ids) specialIds = nullptr;
    decltype(&ftspm_train) train = nullptr;
};

QStringList shimCandidates()
{
    QStringList out;
    const QString fromEnv = qEnvironmentVariable("FTS_SPM_SHIM");
    if (!fromEnv.isEmpty())
        out << fromEnv;
    const QString exeDir = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    const QString dir = QFileInfo(exeDir).absolutePath();
    out << dir + QStringLiteral("/../lib/libftspm.so")                // build tree: bin/ + lib/
        << dir + QStringLiteral("/../lib/finetune-studio/libftspm.so") // installed package
        << dir + QStringLiteral("/libftspm.so")
        << QStringLiteral(FTS_BUILD_LIB_DIR "/libftspm.so");
    for (QString& p : out)
        p = QDir::cleanPath(p);
    out.removeDuplicates();
    return out;
}

template <typename F>
void resolve(void* lib, F& fn, const char* name)
{
    fn = reinterpret_cast<F>(dlsym(lib, name));
    if (!fn)
        throw Error(QStringLiteral("The tokenizer library is incomplete (missing %1). Reinstall "
                                   "Finetune Studio.")
                        .arg(QLatin1String(name)));
}

const ShimApi& shim()
{
    static QMutex mutex;
    static std::unique_ptr<ShimApi> api;
    QMutexLocker lock(&mutex);
    if (api)
        return *api;
#ifdef __SANITIZE_ADDRESS__
    // The sanitizer runtime aborts the process on any RTLD_DEEPBIND dlopen (scripts/sanitize.sh).
    throw Error(QStringLiteral("sentencepiece tokenizers are not available in an AddressSanitizer "
                               "build of Finetune Studio; use a regular build."));
#endif
    QStringList tried;
    QString lastError;
    for (const QString& candidate : shimCandidates()) {
        const QString& path = candidate;
        if (!QFileInfo::exists(path)) {
            tried << path;
            continue;
        }
        // DEEPBIND: the shim and sentencepiece resolve symbols in their own dependencies first,
        // so sentencepiece's bundled protobuf 3.14 never meets libtorch's protobuf 3.21.
        void* lib = dlopen(path.toLocal8Bit().constData(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!lib) {
            lastError = QString::fromLocal8Bit(dlerror());
            tried << path;
            continue;
        }
        auto a = std::make_unique<ShimApi>();
        a->path = path;
        resolve(lib, a->abiVersion, "ftspm_abi_version");
        if (a->abiVersion() != FTSPM_ABI_VERSION)
            throw Error(QStringLiteral("The tokenizer library at %1 is from another version of "
                                       "Finetune Studio. Reinstall Finetune Studio.")
                            .arg(path));
        resolve(lib, a->load, "ftspm_load");
        resolve(lib, a->free, "ftspm_free");
        resolve(lib, a->encode, "ftspm_encode");
        resolve(lib, a->decode, "ftspm_decode");
        resolve(lib, a->vocabSize, "ftspm_vocab_size");
        resolve(lib, a->idToPiece, "ftspm_id_to_piece");
        resolve(lib, a->pieceToId, "ftspm_piece_to_id");
        resolve(lib, a->specialIds, "ftspm_special_ids");
        resolve(lib, a->train, "ftspm_train");
        api = std::move(a);
        return *api;
    }
    throw Error(QStringLiteral("The sentencepiece tokenizer library (libftspm.so) could not be "
                               "loaded%1. Looked in: %2. Set FTS_SPM_SHIM to its path, or "
                               "reinstall Finetune Studio.")
                    .arg(lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(lastError),
                         tried.join(QStringLiteral(", "))));
}

} // namespace

QString SentencePieceModel::shimPath()
{
    return shim().path;
}

std::unique_ptr<SentencePieceModel> SentencePieceModel::load(const QString& path)
{
    const ShimApi& api = shim();
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("There is no sentencepiece model at %1.").arg(path));
    char err[1024] = {};
    ftspm_model* handle = api.load(path.toLocal8Bit().constData(), err, sizeof err);
    if (!handle)
        throw Error(QStringLiteral("%1 is not a valid sentencepiece model: %2")
                        .arg(path, QString::fromUtf8(err)));
    std::unique_ptr<SentencePieceModel> model(new SentencePieceModel(handle));
    api.specialIds(handle, &model->m_unk, &model->m_bos, &model->m_eos, &model->m_pad);
    return model;
}

void SentencePieceModel::train(const QString& args)
{
    char err[1024] = {};
    if (shim().train(args.toUtf8().constData(), err, sizeof err) != 0)
        throw Error(QStringLiteral("Training the sentencepiece tokenizer failed: %1")
                        .arg(QString::fromUtf8(err)));
}

SentencePieceModel::SentencePieceModel(void* handle) : m_handle(handle) {}

SentencePieceModel::~SentencePieceModel()
{
    shim().free(static_cast<ftspm_model*>(m_handle));
}

QList<int> SentencePieceModel::encode(const QString& text) const
{
    const QByteArray utf8 = text.toUtf8();
    auto* h = static_cast<ftspm_model*>(m_handle);
    QList<int> ids(utf8.size() + 8);
    int n = shim().encode(h, utf8.constData(), int(utf8.size()), ids.data(), int(ids.size()));
    if (n > ids.size()) {
        ids.resize(n);
        n = shim().encode(h, utf8.constData(), int(utf8.size()), ids.data(), int(ids.size()));
    }
    if (n < 0)
        throw Error(QStringLiteral("The sentencepiece tokenizer could not encode the text."));
    ids.resize(n);
    return ids;
}

QString SentencePieceModel::decode(const QList<int>& ids) const
{
    auto* h = static_cast<ftspm_model*>(m_handle);
    for (int id : ids)
        if (id < 0 || id >= vocabSize())
            throw Error(QStringLiteral("Token id %1 is outside the vocabulary (0..%2).")
                            .arg(id)
                            .arg(vocabSize() - 1));
    QByteArray out(int(ids.size()) * 8 + 16, Qt::Uninitialized);
    int n = shim().decode(h, ids.constData(), int(ids.size()), out.data(), int(out.size()));
    if (n > out.size()) {
        out.resize(n);
        n = shim().decode(h, ids.constData(), int(ids.size()), out.data(), int(out.size()));
    }
    if (n < 0)
        throw Error(QStringLiteral("The sentencepiece tokenizer could not decode the ids."));
    return QString::fromUtf8(out.constData(), n);
}

int SentencePieceModel::vocabSize() const
{
    return shim().vocabSize(static_cast<ftspm_model*>(m_handle));
}

QString SentencePieceModel::idToPiece(int id) const
{
    char buf[256];
    const int n = shim().idToPiece(static_cast<ftspm_model*>(m_handle), id, buf, sizeof buf);
    if (n < 0)
        return {};
    if (n <= int(sizeof buf))
        return QString::fromUtf8(buf, n);
    QByteArray big(n, Qt::Uninitialized);
    shim().idToPiece(static_cast<ftspm_model*>(m_handle), id, big.data(), n);
    return QString::fromUtf8(big);
}

int SentencePieceModel::pieceToId(const QString& piece) const
{
    return shim().pieceToId(static_cast<ftspm_model*>(m_handle), piece.toUtf8().constData());
}

} // namespace fts
