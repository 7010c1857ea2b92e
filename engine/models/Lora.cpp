// LoRA tooling (Hu et al. 2021) with PEFT's file layout, over any module tree of fts::Projection.
#include "models/Lora.h"

#include "Error.h"
#include "io/AtomicWrite.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cmath>
#include <set>

namespace fts {
namespace {

// PEFT keys put the wrapped model under "base_model.model." and drop the adapter name.
const std::string kPeftPrefix = "base_model.model.";

bool pathMatches(const std::string& path, const QString& name)
{
    const std::string n = name.toStdString();
    return path == n ||
           (path.size() > n.size() && path.compare(path.size() - n.size(), n.size(), n) == 0 &&
            path[path.size() - n.size() - 1] == '.');
}

bool matchesAny(const std::string& path, const QStringList& names)
{
    for (const QString& name : names)
        if (pathMatches(path, name))
            return true;
    return false;
}

// True when some module on the parameter's path (a dotted prefix of it) matches one of `names`.
bool underAny(const std::string& paramName, const QStringList& names)
{
    for (size_t dot = paramName.find('.'); dot != std::string::npos;
         dot = paramName.find('.', dot + 1))
        if (matchesAny(paramName.substr(0, dot), names))
            return true;
    return false;
}

bool isAdapterParam(const std::string& name)
{
    return name.find(".lora_A.") != std::string::npos ||
           name.find(".lora_B.") != std::string::npos || name.rfind("lora_A.", 0) == 0 ||
           name.rfind("lora_B.", 0) == 0;
}

QJsonValue numberValue(double v)
{
    // PEFT writes integral alphas as ints; keep files diff-friendly with theirs.
    return std::floor(v) == v && std::abs(v) < 1e9 ? QJsonValue(qint64(v)) : QJsonValue(v);
}

QJsonObject readAdapterJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1 is missing: the folder is not a LoRA adapter saved by the "
                                   "studio or by PEFT.")
                        .arg(QDir::toNativeSeparators(path)));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw Error(QStringLiteral("%1 is not valid JSON (%2).")
                        .arg(QDir::toNativeSeparators(path), err.errorString()));
    return doc.object();
}

LoraConfig parseAdapterConfig(const QJsonObject& json, const QString& label)
{
    auto fail = [&](const QString& what) {
        throw Error(QStringLiteral("%1: %2").arg(label, what));
    };
    if (json.value(QLatin1String("peft_type")).toString() != QLatin1String("LORA"))
        fail(QStringLiteral("peft_type is \"%1\"; only LoRA adapters (\"LORA\") are supported.")
                 .arg(json.value(QLatin1String("peft_type")).toString()));
    for (const char* unsupported : {"use_rslora", "use_dora"})
        if (json.value(QLatin1String(unsupported)).toBool(false))
            fail(QStringLiteral("\"%1\" adapters are not supported; train a plain LoRA adapter.")
                     .arg(QLatin1String(unsupported)));
    LoraConfig c;
    c.rank = json.value(QLatin1String("r")).toInt(0);
    c.alpha = json.value(QLatin1String("lora_alpha")).toDouble(double(c.rank));
    c.dropout = json.value(QLatin1String("lora_dropout")).toDouble(0.0);
    if (c.rank <= 0)
        fail(QStringLiteral("\"r\" (the LoRA rank) must be a whole number of at least 1."));
    const QJsonValue targets = json.value(QLatin1String("target_modules"));
    if (targets.isString()) // PEFT reads a single string as a regular expression over the path
        c.targetModules << QStringLiteral("re:") + targets.toString();
    for (const QJsonValue& v : targets.toArray())
        c.targetModules << v.toString();
    c.targetModules.removeDuplicates();
    if (c.targetModules.isEmpty())
        fail(QStringLiteral("\"target_modules\" is missing or empty, so it is unknown which layers "
                            "the adapter belongs to."));
    for (const QJsonValue& v : json.value(QLatin1String("modules_to_save")).toArray())
        c.modulesToSave << v.toString();
    c.baseModel = json.value(QLatin1String("base_model_name_or_path")).toString();
    c.taskType = json.value(QLatin1String("task_type")).toString();
    return c;
}

bool targetMatches(const std::string& path, const QStringList& targets)
{
    for (const QString& t : targets) {
        if (t.startsWith(QLatin1String("re:"))) {
            const QRegularExpression re(QRegularExpression::anchoredPattern(t.mid(3)));
            if (re.match(QString::fromStdString(path)).hasMatch())
                return true;
        } else if (pathMatches(path, t)) {
            return true;
        }
    }
    return false;
}

QJsonValue targetsJson(const QStringList& targets)
{
    if (targets.size() == 1 && targets.first().startsWith(QLatin1String("re:")))
        return targets.first().mid(3);
    return QJsonArray::fromStringList(targets);
}

} // namespace

std::vector<std::pair<std::string, ProjectionImpl*>> findProjections(torch::nn::Module& root)
{
    std::vector<std::pair<std::string, ProjectionImpl*>> out;
    for (const auto& item : root.named_modules(/*name_prefix=*/"", /*include_self=*/false))
        if (auto* p = dynamic_cast<ProjectionImpl*>(item.value().get()))
            out.emplace_back(item.key(), p);
    return out;
}

std::vector<std::string> applyLora(torch::nn::Module& root, const LoraConfig& config)
{
    std::vector<std::string> adapted;
    std::set<std::string> available;
    for (const auto& [path, projection] : findProjections(root)) {
        available.insert(path.substr(path.rfind('.') + 1));
        if (!targetMatches(path, config.targetModules))
            continue;
        projection->enableLora(config.rank, config.alpha, config.dropout);
        adapted.push_back(path);
    }
    if (adapted.empty()) {
        QStringList names;
        for (const std::string& n : available)
            names << QString::fromStdString(n);
        throw Error(QStringLiteral("No layer of this model is called %1, so LoRA has nothing to "
                                   "adapt. Layers that can take LoRA here: %2.")
                        .arg(config.targetModules.join(QStringLiteral(" / ")),
                             names.join(QStringLiteral(", "))));
    }
    return adapted;
}

void freezeAllButAdapters(torch::nn::Module& root, const QStringList& modulesToSave)
{
    for (auto& item : root.named_parameters(/*recurse=*/true))
        item.value().set_requires_grad(isAdapterParam(item.key()) ||
                                       underAny(item.key(), modulesToSave));
}

void freezeModules(const std::vector<std::shared_ptr<torch::nn::Module>>& modules)
{
    for (const auto& module : modules)
        for (auto& p : module->parameters(/*recurse=*/true))
            p.set_requires_grad(false);
}

ParameterCounts countParameters(const torch::nn::Module& root)
{
    ParameterCounts counts;
    for (const auto& p : root.parameters(/*recurse=*/true)) {
        counts.total += p.numel();
        if (p.requires_grad())
            counts.trainable += p.numel();
    }
    return counts;
}

int mergeAllLora(torch::nn::Module& root)
{
    int merged = 0;
    for (const auto& [path, projection] : findProjections(root))
        if (projection->hasLora()) {
            projection->mergeLora();
            ++merged;
        }
    return merged;
}

void saveLoraAdapter(torch::nn::Module& root, const LoraConfig& config, const QString& adapterDir)
{
    TensorMap tensors;
    bool fanInFanOut = false;
    for (const auto& [path, projection] : findProjections(root)) {
        if (!projection->hasLora())
            continue;
        tensors.emplace(kPeftPrefix + path + ".lora_A.weight", projection->loraA.detach());
        tensors.emplace(kPeftPrefix + path + ".lora_B.weight", projection->loraB.detach());
        fanInFanOut = fanInFanOut || projection->layout() == WeightLayout::Conv1D;
    }
    if (tensors.empty())
        throw Error(
            QStringLiteral("This model has no LoRA adapter to save; train with LoRA, or save "
                           "the whole model instead."));
    for (const auto& [name, tensor] : stateDict(root))
        if (!isAdapterParam(name) && underAny(name, config.modulesToSave))
            tensors.emplace(kPeftPrefix + name, tensor);
    if (!QDir().mkpath(adapterDir))
        throw Error(QStringLiteral("Cannot create the folder %1; check that the location is "
                                   "writable.")
                        .arg(QDir::toNativeSeparators(adapterDir)));
    const QDir dir(adapterDir);
    saveSafetensors(dir.filePath(QStringLiteral("adapter_model.safetensors")), tensors,
                    {{QStringLiteral("format"), QStringLiteral("pt")}});
    QJsonObject json{
        {"peft_type", "LORA"},
        {"task_type", config.taskType.isEmpty() ? QJsonValue() : QJsonValue(config.taskType)},
        {"r", qint64(config.rank)},
        {"lora_alpha", numberValue(config.alpha)},
        {"lora_dropout", config.dropout},
        {"target_modules", targetsJson(config.targetModules)},
        {"modules_to_save", config.modulesToSave.isEmpty()
                                ? QJsonValue()
                                : QJsonValue(QJsonArray::fromStringList(config.modulesToSave))},
        {"base_model_name_or_path", config.baseModel},
        {"bias", "none"},
        {"fan_in_fan_out", fanInFanOut},
        {"inference_mode", true},
        {"init_lora_weights", true},
    };
    const QByteArray bytes = QJsonDocument(json).toJson(QJsonDocument::Indented);
    writeFileAtomically(dir.filePath(QStringLiteral("adapter_config.json")),
                        [&](QIODevice& out) { out.write(bytes); });
}

LoraConfig loadLoraAdapter(torch::nn::Module& root, const QString& adapterDir)
{
    const QDir dir(adapterDir);
    const QString configPath = dir.filePath(QStringLiteral("adapter_config.json"));
    const LoraConfig config =
        parseAdapterConfig(readAdapterJson(configPath), QDir::toNativeSeparators(configPath));
    const QString weightsPath = dir.filePath(QStringLiteral("adapter_model.safetensors"));
    if (!QFileInfo::exists(weightsPath))
        throw Error(QStringLiteral("%1 has no adapter_model.safetensors (an adapter_model.bin is a "
                                   "Python pickle the studio does not open).")
                        .arg(QDir::toNativeSeparators(adapterDir)));
    TensorMap weights;
    for (auto& [name, tensor] : loadSafetensors(weightsPath)) {
        std::string key = name.rfind(kPeftPrefix, 0) == 0 ? name.substr(kPeftPrefix.size()) : name;
        // Some PEFT versions keep the adapter name: "...lora_A.default.weight".
        for (const char* part : {".lora_A.default.", ".lora_B.default."}) {
            const size_t at = key.find(part);
            if (at != std::string::npos)
                key.replace(at, std::string(part).size(), std::string(part).substr(0, 8));
        }
        weights.emplace(std::move(key), tensor);
    }
    applyLora(root, config);
    const LoadReport report = loadStateDict(root, weights);
    std::vector<std::string> missing;
    for (const std::string& name : report.missing)
        if (isAdapterParam(name))
            missing.push_back(name);
    if (!missing.empty() || !report.unexpected.empty()) {
        const std::string example = !missing.empty() ? missing.front() : report.unexpected.front();
        throw Error(
            QStringLiteral("The adapter in %1 does not fit this model: %2 adapter weight(s) "
                           "missing and %3 weight(s) for layers the model lacks (e.g. %4). "
                           "Load it onto the base model it was trained from (%5).")
                .arg(QDir::toNativeSeparators(adapterDir))
                .arg(missing.size())
                .arg(report.unexpected.size())
                .arg(QString::fromStdString(example),
                     config.baseModel.isEmpty() ? QStringLiteral("see adapter_config.json")
                                                : config.baseModel));
    }
    return config;
}

} // namespace fts
