// Packing documents into blocks, the way RoBERTa's FULL-SENTENCES and HF's group_texts do.
#include "pretrain/Packing.h"

#include "Error.h"

namespace fts {

PackedBlocks packDocuments(const std::vector<std::vector<int64_t>>& documents, int64_t blockSize,
                           const PackingFrame& frame)
{
    const int64_t reserved = frame.blockStart >= 0 ? 1 : 0;
    if (blockSize < reserved + 2)
        throw Error(QStringLiteral("A block of %1 tokens is too short to pack text into; use at "
                                   "least 8.")
                        .arg(blockSize));
    PackedBlocks out;
    out.blockSize = blockSize;
    std::vector<int64_t> block;
    block.reserve(size_t(blockSize));
    const auto push = [&](int64_t id) {
        if (block.empty() && reserved)
            block.push_back(frame.blockStart);
        block.push_back(id);
        if (int64_t(block.size()) == blockSize) {
            out.ids.insert(out.ids.end(), block.begin(), block.end());
            ++out.count;
            block.clear();
        }
    };
    for (const std::vector<int64_t>& doc : documents) {
        if (doc.empty())
            continue;
        if (frame.documentStart >= 0)
            push(frame.documentStart);
        for (int64_t id : doc)
            push(id);
        if (frame.documentEnd >= 0)
            push(frame.documentEnd);
    }
    out.droppedTokens = int64_t(block.size());
    return out;
}

} // namespace fts
