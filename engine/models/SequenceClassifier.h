// Text classification on an encoder, with Hugging Face's *ForSequenceClassification head names.
#pragma once

#include "models/Encoder.h"
#include "models/ModelConfig.h"
#include "models/Projection.h"
#include "models/Safetensors.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <QString>
#include <QStringList>

#include <memory>
#include <string>
#include <vector>

namespace fts {

// HF's problem_type: one class per text (softmax), any number of classes (sigmoid), or a number.
enum class ProblemType { SingleLabel, MultiLabel, Regression };

QString problemTypeName(ProblemType type); // "single_label_classification", ...
// Throws fts::Error for an unknown name; an empty name means single-label.
ProblemType problemTypeFromName(const QString& name);

// The encoder under "bert." / "distilbert." / "roberta." plus the family's head:
//   BERT:       classifier(dropout(pooler output))
//   DistilBERT: classifier(dropout(relu(pre_classifier(first token))))
//   RoBERTa:    classifier.out_proj(dropout(tanh(classifier.dense(dropout(first token)))))
// With config.classifier_pooling "mean", the masked mean of the last hidden state replaces the
// first token (and, for BERT, the pooler output).
class SequenceClassifierImpl : public torch::nn::Module
{
public:
    // `config.labels` names the classes (one entry for regression); a new head is initialised.
    SequenceClassifierImpl(const ModelConfig& config, ProblemType problem);

    // [B, T] ids, mask, token types (may be undefined) -> logits [B, numLabels]
    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       const at::Tensor& tokenTypeIds = {});
    // Mean loss: cross-entropy on class ids [B] (single-label), binary cross-entropy on 0/1
    // targets [B, numLabels] (multi-label), mean squared error on values [B] (regression).
    at::Tensor loss(const at::Tensor& logits, const at::Tensor& targets) const;
    // Probabilities (softmax or sigmoid) or, for regression, the predicted values [B].
    at::Tensor predict(const at::Tensor& logits) const;

    // What the head's own layers read, from the encoder's last hidden state [B, T, H] and its
    // mask: BERT's pooler output or the first token, or the masked mean -> [B, H].
    at::Tensor headFeatures(const at::Tensor& hidden, const at::Tensor& attentionMask);
    // The head on those features -> logits [B, numLabels].
    at::Tensor headOnFeatures(const at::Tensor& features);

    // HF's init for a new head: weights normal(0, initializer_range), biases zero.
    void initHead();

    std::shared_ptr<EncoderModel> encoder() const { return m_encoder; }
    // Replaces this classifier's encoder with `encoder` (same config), so several heads can share
    // one backbone (multi-task training); the state dict then names the shared weights.
    void useEncoder(std::shared_ptr<EncoderModel> encoder);
    // The head's top-level module names, e.g. for LoRA's modules_to_save.
    QStringList headModules() const;
    int64_t numLabels() const { return m_numLabels; }
    ProblemType problemType() const { return m_problem; }
    // The config to save: labels, problem_type and architectures filled in.
    const ModelConfig& config() const { return m_config; }

private:
    ModelConfig m_config;
    ProblemType m_problem;
    int64_t m_numLabels;
    double m_dropout;
    std::shared_ptr<EncoderModel> m_encoder;
    Projection m_preClassifier{nullptr}; // DistilBERT
    Projection m_dense{nullptr};         // RoBERTa's classifier.dense
    Projection m_classifier{nullptr};    // classifier / classifier.out_proj
};
TORCH_MODULE(SequenceClassifier);

struct ClassifierLoadReport
{
    std::vector<std::string> unused;      // checkpoint tensors the model does not use (cls.*, ...)
    std::vector<std::string> initialised; // model parameters freshly initialised (a new head)
};

// Loads a model folder (config.json + model.safetensors or a sharded index) as a classifier for
// `labels` (for regression: one name, or empty for "score"). With empty `labels` for a
// classification problem, the folder's own id2label is used. Base checkpoints load with or
// without the family prefix; a head is reused when its shapes fit, else initialised. Throws
// fts::Error naming missing backbone weights.
SequenceClassifier loadSequenceClassifier(const QString& modelDir, const QStringList& labels,
                                          ProblemType problem = ProblemType::SingleLabel,
                                          ClassifierLoadReport* report = nullptr);
// The same with generic label names LABEL_0 .. LABEL_{n-1}.
SequenceClassifier loadSequenceClassifier(const QString& modelDir, int64_t numLabels,
                                          ProblemType problem = ProblemType::SingleLabel,
                                          ClassifierLoadReport* report = nullptr);

// Writes config.json (architectures, id2label/label2id, problem_type) and model.safetensors so
// Hugging Face transformers loads the folder as it is. Throws if LoRA adapters are still attached.
void saveSequenceClassifier(SequenceClassifierImpl& model, const QString& modelDir);

// Reads every tensor of a model folder: model.safetensors, or the shards listed in
// model.safetensors.index.json. Refuses pickled .bin files with an explanation.
TensorMap loadModelWeights(const QString& modelDir);

enum class Pooling { FirstToken, Mean };
// Sentence features from a last hidden state [B, T, H]: the first ([CLS]/<s>) token, or the mean
// over the tokens the mask [B, T] marks as real -> [B, H].
at::Tensor poolFeatures(const at::Tensor& lastHidden, const at::Tensor& attentionMask,
                        Pooling pooling);

} // namespace fts
