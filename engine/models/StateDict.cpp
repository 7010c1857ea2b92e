// Name-based weight transfer; the names are torch's dotted module paths, equal to HF's by design.
#include "models/StateDict.h"

#include "Error.h"

#include <torch/nn/module.h>

#include <QStringList>

#include <set>

namespace fts {
namespace {

QString shapeText(at::IntArrayRef sizes)
{
    QStringList parts;
    for (int64_t s : sizes)
        parts << QString::number(s);
    return QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
}

} // namespace

LoadReport loadStateDict(torch::nn::Module& module, const TensorMap& weights, const std::string& prefix)
{
    LoadReport report;
    std::set<std::string> used;
    torch::NoGradGuard noGrad;
    auto copyInto = [&](const std::string& name, at::Tensor& target) {
        const auto it = weights.find(prefix + name);
        if (it == weights.end()) {
            report.missing.push_back(prefix + name);
            return;
        }
        if (!it->second.sizes().equals(target.sizes()))
            throw Error(QStringLiteral("Weight '%1' has shape %2 but the model expects %3: the "
                                       "config.json does not match the weights.")
                            .arg(QString::fromStdString(it->first), shapeText(it->second.sizes()),
                                 shapeText(target.sizes())));
        target.copy_(it->second.to(target.dtype()));
        used.insert(it->first);
    };
    for (auto& item : module.named_parameters(/*recurse=*/true))
        copyInto(item.key(), item.value());
    for (auto& item : module.named_buffers(/*recurse=*/true))
        copyInto(item.key(), item.value());
    for (const auto& [name, tensor] : weights)
        if (name.rfind(prefix, 0) == 0 && !used.count(name))
            report.unexpected.push_back(name);
    return report;
}

TensorMap stateDict(const torch::nn::Module& module, const std::string& prefix)
{
    TensorMap out;
    for (const auto& item : module.named_parameters(/*recurse=*/true))
        out.emplace(prefix + item.key(), item.value().detach());
    for (const auto& item : module.named_buffers(/*recurse=*/true))
        out.emplace(prefix + item.key(), item.value().detach());
    return out;
}

QString weightNameList(const std::vector<std::string>& names, size_t shown)
{
    QStringList parts;
    for (size_t i = 0; i < names.size() && i < shown; ++i)
        parts << QString::fromStdString(names[i]);
    QString text = parts.join(QStringLiteral(", "));
    if (names.size() > shown)
        text += QStringLiteral(" and %1 more").arg(names.size() - shown);
    return text;
}

std::shared_ptr<torch::nn::Module> addLevel(torch::nn::Module& parent, const std::string& name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

} // namespace fts
