/* The C interface of libftspm, the only code that touches sentencepiece (see DESIGN.md:
 * sentencepiece's bundled protobuf clashes with libtorch's, so it is loaded with RTLD_DEEPBIND). */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define FTSPM_ABI_VERSION 1

typedef struct ftspm_model ftspm_model;

int ftspm_abi_version(void);
/* Returns NULL and writes a message into err on failure. */
ftspm_model* ftspm_load(const char* path, char* err, int err_len);
void ftspm_free(ftspm_model* model);
/* Writes up to cap ids; returns how many the text has (retry with more room if larger), -1 on error. */
int ftspm_encode(ftspm_model* model, const char* text, int text_len, int* ids, int cap);
/* Writes up to cap bytes of UTF-8 (no terminator); returns the length needed, -1 on error. */
int ftspm_decode(ftspm_model* model, const int* ids, int n, char* out, int cap);
int ftspm_vocab_size(ftspm_model* model);
/* Like ftspm_decode's contract, for one piece. */
int ftspm_id_to_piece(ftspm_model* model, int id, char* out, int cap);
int ftspm_piece_to_id(ftspm_model* model, const char* piece);
/* -1 where the model has no such token. */
void ftspm_special_ids(ftspm_model* model, int* unk, int* bos, int* eos, int* pad);
/* Trains a model; args as for spm_train ("--input=... --model_prefix=..."). 0 on success. */
int ftspm_train(const char* args, char* err, int err_len);

#ifdef __cplusplus
}
#endif
