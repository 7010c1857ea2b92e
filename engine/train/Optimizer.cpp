#include "train/Optimizer.h"

#include "Error.h"

namespace fts {

OptimizerSetup makeAdamW(torch::nn::Module& model, const Hyperparameters& hp,
                         const std::function<bool(const std::string&)>& isHead)
{
    OptimizerSetup s;
    const double headLr = hp.headLr > 0 ? hp.headLr : hp.lr;
    std::vector<at::Tensor> params[4];
    std::vector<std::string> names[4];
    for (const auto& item : model.named_parameters(/*recurse=*/true)) {
        if (!item.value().requires_grad())
            continue;
        const int g = (isHead && isHead(item.key()) ? 2 : 0) + (appliesWeightDecay(item.key()) ? 0 : 1);
        params[g].push_back(item.value());
        names[g].push_back(item.key());
        s.trainable.push_back(item.value());
    }
    if (s.trainable.empty())
        throw Error(QStringLiteral("Nothing would train: every weight is frozen. Use method full, "
                                   "lora, or freeze fewer layers."));
    std::vector<torch::optim::OptimizerParamGroup> groups;
    for (int g = 0; g < 4; ++g) {
        if (params[g].empty())
            continue;
        const double lr = g >= 2 ? headLr : hp.lr;
        auto options = std::make_unique<torch::optim::AdamWOptions>(lr);
        options->weight_decay(g % 2 == 0 ? hp.weightDecay : 0.0);
        groups.emplace_back(params[g], std::move(options));
        s.groupNames.push_back(names[g]);
        s.baseLr.push_back(lr);
    }
    s.optimizer = std::make_shared<torch::optim::AdamW>(
        groups, torch::optim::AdamWOptions(hp.lr).weight_decay(hp.weightDecay));
    return s;
}

void scaleLearningRate(OptimizerSetup& s, double factor)
{
    auto& groups = s.optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(s.baseLr[g] * factor);
}

} // namespace fts
