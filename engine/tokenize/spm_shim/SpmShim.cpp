// libftspm: a narrow C wrapper around sentencepiece, built as its own shared library.
#include "spm_shim_api.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

struct ftspm_model
{
    sentencepiece::SentencePieceProcessor processor;
};

namespace {

void writeError(const std::string& message, char* err, int errLen)
{
    if (!err || errLen <= 0)
        return;
    const size_t n = std::min(message.size(), size_t(errLen - 1));
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

int copyOut(const std::string& s, char* out, int cap)
{
    if (out && cap > 0)
        std::memcpy(out, s.data(), std::min(s.size(), size_t(cap)));
    return int(s.size());
}

} // namespace

extern "C" {

int ftspm_abi_version(void)
{
    return FTSPM_ABI_VERSION;
}

ftspm_model* ftspm_load(const char* path, char* err, int errLen)
{
    auto* model = new ftspm_model;
    const auto status = model->processor.Load(path);
    if (!status.ok()) {
        writeError(status.ToString(), err, errLen);
        delete model;
        return nullptr;
    }
    return model;
}

void ftspm_free(ftspm_model* model)
{
    delete model;
}

int ftspm_encode(ftspm_model* model, const char* text, int textLen, int* ids, int cap)
{
    std::vector<int> out;
    if (!model->processor.Encode(std::string_view(text, size_t(textLen)), &out).ok())
        return -1;
    if (ids && cap > 0)
        std::copy_n(out.begin(), std::min(out.size(), size_t(cap)), ids);
    return int(out.size());
}

int ftspm_decode(ftspm_model* model, const int* ids, int n, char* out, int cap)
{
    std::string text;
    if (!model->processor.Decode(std::vector<int>(ids, ids + n), &text).ok())
        return -1;
    return copyOut(text, out, cap);
}

int ftspm_vocab_size(ftspm_model* model)
{
    return model->processor.GetPieceSize();
}

int ftspm_id_to_piece(ftspm_model* model, int id, char* out, int cap)
{
    if (id < 0 || id >= model->processor.GetPieceSize())
        return -1;
    return copyOut(model->processor.IdToPiece(id), out, cap);
}

int ftspm_piece_to_id(ftspm_model* model, const char* piece)
{
    return model->processor.PieceToId(piece);
}

void ftspm_special_ids(ftspm_model* model, int* unk, int* bos, int* eos, int* pad)
{
    *unk = model->processor.unk_id();
    *bos = model->processor.bos_id();
    *eos = model->processor.eos_id();
    *pad = model->processor.pad_id();
}

int ftspm_train(const char* args, char* err, int errLen)
{
    const auto status = sentencepiece::SentencePieceTrainer::Train(args);
    if (!status.ok()) {
        writeError(status.ToString(), err, errLen);
        return 1;
    }
    return 0;
}

} // extern "C"
