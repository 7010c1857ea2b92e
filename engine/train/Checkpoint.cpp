// Writing and reading training checkpoints so an interrupted run resumes step for step.
#include "train/Checkpoint.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "train/TextTokenizer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>

namespace fts {
namespace {

std::string stateKey(const at::Tensor& p)
{
    // libtorch keys optimizer state by the parameter's TensorImpl address.
    return c10::guts::to_string(p.unsafeGetTensorImpl());
}

} // namespace

void saveCheckpoint(const QString& dir, const TensorMap& weights,
                    const torch::optim::AdamW& optimizer,
                    const std::vector<std::vector<std::string>>& groupNames,
                    const QJsonObject& state, const TextTokenizer* tokenizer)
{
    if (!QDir().mkpath(dir))
        throw Error(
            QStringLiteral("Could not create the checkpoint folder %1: check free space and "
                           "permissions.")
                .arg(QDir::toNativeSeparators(dir)));
    const QDir d(dir);
    saveSafetensors(d.filePath(QStringLiteral("model.safetensors")), weights);
    TensorMap moments;
    const auto& groups = optimizer.param_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        for (size_t i = 0; i < groups[g].params().size(); ++i) {
            const auto it = optimizer.state().find(stateKey(groups[g].params()[i]));
            if (it == optimizer.state().end())
                continue;
            const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
            const std::string& name = groupNames[g][i];
            moments["exp_avg." + name] = s.exp_avg();
            moments["exp_avg_sq." + name] = s.exp_avg_sq();
            moments["step." + name] = at::full({1}, s.step(), at::kLong);
        }
    saveSafetensors(d.filePath(QStringLiteral("optimizer.safetensors")), moments);
    if (const auto* words = dynamic_cast<const WordVocabulary*>(tokenizer))
        writeFileAtomically(d.filePath(QStringLiteral("vocab_words.txt")), [&](QIODevice& out) {
            out.write(words->words().join(QLatin1Char('\n')).toUtf8() + '\n');
        });
    writeFileAtomically(d.filePath(QStringLiteral("trainer_state.json")), [&](QIODevice& out) {
        out.write(QJsonDocument(state).toJson(QJsonDocument::Compact));
    });
}

void loadOptimizerState(const QString& dir, torch::optim::AdamW& optimizer,
                        const std::vector<std::vector<std::string>>& groupNames)
{
    const TensorMap moments =
        loadSafetensors(QDir(dir).filePath(QStringLiteral("optimizer.safetensors")));
    auto& groups = optimizer.param_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        for (size_t i = 0; i < groups[g].params().size(); ++i) {
            const std::string& name = groupNames[g][i];
            const auto avg = moments.find("exp_avg." + name);
            if (avg == moments.end())
                continue; // never stepped (e.g. no gradient yet)
            const at::Tensor& p = groups[g].params()[i];
            const at::Tensor sq = moments.at("exp_avg_sq." + name);
            if (!avg->second.sizes().equals(p.sizes()) || !sq.sizes().equals(p.sizes()))
                throw Error(QStringLiteral("The checkpoint in %1 does not fit the model (optimizer "
                                           "state of %2 has another shape); it belongs to another "
                                           "model or method.")
                                .arg(dir, QString::fromStdString(name)));
            auto s = std::make_unique<torch::optim::AdamWParamState>();
            s->step(moments.at("step." + name).item<int64_t>());
            s->exp_avg(avg->second.to(p.dtype()).clone());
            s->exp_avg_sq(sq.to(p.dtype()).clone());
            optimizer.state()[stateKey(p)] = std::move(s);
        }
}

QJsonObject loadTrainerState(const QString& dir)
{
    QFile f(QDir(dir).filePath(QStringLiteral("trainer_state.json")));
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("The checkpoint %1 has no trainer_state.json; it cannot be "
                                   "resumed. Start a new run.")
                        .arg(QDir::toNativeSeparators(dir)));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw Error(QStringLiteral("%1 is damaged (%2); start a new run.")
                        .arg(f.fileName(), err.errorString()));
    return doc.object();
}

QString cpuRngState()
{
    const at::Tensor s = at::detail::getDefaultCPUGenerator().get_state(); // uint8 bytes
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char*>(s.data_ptr<uint8_t>()), int(s.numel()))
            .toBase64());
}

void setCpuRngState(const QString& state)
{
    const QByteArray bytes = QByteArray::fromBase64(state.toLatin1());
    at::Tensor s = at::empty({int64_t(bytes.size())}, at::kByte);
    std::memcpy(s.data_ptr<uint8_t>(), bytes.constData(), size_t(bytes.size()));
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s);
}

} // namespace fts
