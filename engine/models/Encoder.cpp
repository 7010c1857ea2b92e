// The encoder factory and the padding-mask bias the encoder families share.
#include "models/Encoder.h"

#include "Error.h"
#include "models/Bert.h"
#include "models/DistilBert.h"
#include "models/Roberta.h"

#include <ATen/ATen.h>

#include <limits>

namespace fts {

std::shared_ptr<EncoderModel> makeEncoder(const ModelConfig& config)
{
    switch (config.family) {
    case ModelFamily::Bert:
        return std::make_shared<BertModelImpl>(config);
    case ModelFamily::DistilBert:
        return std::make_shared<DistilBertModelImpl>(config);
    case ModelFamily::Roberta:
        return std::make_shared<RobertaModelImpl>(config);
    default:
        throw Error(QStringLiteral("A \"%1\" model is a text generator (decoder), not an encoder: "
                                   "pick a BERT, DistilBERT or RoBERTa model for classification.")
                        .arg(config.modelType));
    }
}

at::Tensor attentionBias(const at::Tensor& attentionMask, at::ScalarType dtype)
{
    if (!attentionMask.defined())
        return at::zeros({1, 1, 1, 1}, at::TensorOptions().dtype(dtype));
    // [B, T] -> [B, 1, 1, T]; the lowest finite value rather than -inf keeps softmax finite.
    const at::Tensor padding = attentionMask.eq(0).unsqueeze(1).unsqueeze(2);
    double lowest = std::numeric_limits<float>::lowest();
    if (dtype == at::kDouble)
        lowest = std::numeric_limits<double>::lowest();
    else if (dtype == at::kHalf)
        lowest = -65504.0; // fp16's largest finite magnitude
    else if (dtype == at::kBFloat16)
        lowest = -3.3895313892515355e38; // bf16's; float's lowest would round to -inf
    return at::zeros(padding.sizes(),
                     at::TensorOptions().dtype(dtype).device(attentionMask.device()))
        .masked_fill(padding, lowest);
}

} // namespace fts
