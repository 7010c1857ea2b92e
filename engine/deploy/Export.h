// Exporting a run as a Hugging Face folder: merged weights (or a PEFT adapter), config with
// labels, tokenizer files, and a model card written from the run record.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

class Project;

struct ExportOptions
{
    QString outDir;
    bool adapterOnly = false; // LoRA runs: adapter_model.safetensors + adapter_config.json only
    bool overwrite = false;   // replace the files of a non-empty folder
    QString task;             // multi-task runs: whose classifier (required for them)
};

struct ExportResult
{
    QString dir;
    QStringList files; // names written, sorted
};

// Throws fts::Error for a run without checkpoint, --adapter-only on a run that has no adapters,
// or an output folder that is not empty (unless overwrite). Every file is written atomically.
ExportResult exportRun(Project& project, qint64 runId, const ExportOptions& options);

} // namespace fts
