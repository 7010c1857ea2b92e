// Batch inference over a file: CSV or JSON Lines in, the same rows out with the prediction added,
// streamed in fixed-size batches so any file size runs in bounded memory.
#pragma once

#include <QString>

#include <functional>

namespace fts {

class TextClassifier;
class TextGenerator;
struct GenerateRequest;

struct BatchPredictOptions
{
    QString input;      // .csv / .tsv / .jsonl (other suffixes: CSV)
    QString output;     // .jsonl writes JSON Lines, anything else CSV; written atomically
    QString textColumn; // empty: "text" when there is one, else the first column
    int batchSize = 64; // rows held in memory at once
    bool chat = false;  // generation: each row is a user's message, rendered with the chat format
};

struct BatchPredictStats
{
    qint64 rows = 0;
    qint64 maxRowsHeld = 0; // the most rows held at once (the memory bound)
    double seconds = 0;
};

// (rows done, input bytes read, input bytes in all); returning false cancels (fts::Cancelled is
// thrown and the output file is left as it was).
using BatchProgress = std::function<bool(qint64 rows, qint64 bytesDone, qint64 bytesTotal)>;

// Adds predicted_label and prob_<label> per class (multi-label: predicted_labels; regression:
// predicted_value). Throws fts::Error naming the file and line for malformed input.
BatchPredictStats predictFile(const TextClassifier& classifier, const BatchPredictOptions& options,
                              const BatchProgress& progress = {});
// Adds generated_text: each row's text is the prompt (settings from `request`, its prompt unused).
BatchPredictStats generateFile(const TextGenerator& generator, const GenerateRequest& request,
                               const BatchPredictOptions& options,
                               const BatchProgress& progress = {});

} // namespace fts
