// Sequence packing: tokenized documents concatenated into fixed-length blocks with no padding.
#pragma once

#include <cstdint>
#include <vector>

namespace fts {

// How a document and a block are framed. BERT: every block starts with [CLS] and every document
// ends with [SEP]; Llama: every document is <s> ... </s>. -1 = no such token.
struct PackingFrame
{
    int64_t blockStart = -1;
    int64_t documentStart = -1;
    int64_t documentEnd = -1;
};

struct PackedBlocks
{
    std::vector<int64_t> ids; // row-major [count, blockSize]
    int64_t blockSize = 0;
    int64_t count = 0;
    int64_t droppedTokens = 0; // the tail that did not fill a last block
};

// Concatenates the framed documents into one stream and cuts it into blocks of `blockSize`
// (a long document continues in the next block; a block may hold several documents, their
// boundaries marked by the frame's tokens). Only the final partial block is dropped.
PackedBlocks packDocuments(const std::vector<std::vector<int64_t>>& documents, int64_t blockSize,
                           const PackingFrame& frame);

} // namespace fts
