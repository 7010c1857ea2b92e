// MinHash (Broder 1997) with 128 permutations, 32 bands x 4 rows: pairs at Jaccard 0.7 become
// candidates with probability 1 - (1 - 0.7^4)^32 > 0.999; candidates are then checked exactly.
#include "data/NearDuplicates.h"

#include "data/TextNormalize.h"

#include <QHash>

#include <algorithm>
#include <numeric>
#include <random>
#include <unordered_map>
#include <vector>

namespace fts {
namespace {

constexpr int kShingle = 5;
constexpr int kHashes = 128;
constexpr int kBands = 32;
constexpr int kRows = kHashes / kBands;
constexpr uint64_t kPrime = (uint64_t(1) << 61) - 1; // Mersenne prime for the universal hashes

uint64_t fnv1a(const QChar* data, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; ++i) {
        h ^= data[i].unicode();
        h *= 1099511628211ull;
    }
    return h;
}

std::vector<uint64_t> shingles(const QString& text)
{
    const QString key = duplicateKey(text);
    std::vector<uint64_t> out;
    if (key.size() <= kShingle) {
        out.push_back(fnv1a(key.constData(), int(key.size())));
    } else {
        out.reserve(key.size());
        for (qsizetype i = 0; i + kShingle <= key.size(); ++i)
            out.push_back(fnv1a(key.constData() + i, kShingle));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

double jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b)
{
    size_t i = 0, j = 0, common = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) {
            ++common;
            ++i;
            ++j;
        } else if (a[i] < b[j]) {
            ++i;
        } else {
            ++j;
        }
    }
    const size_t uni = a.size() + b.size() - common;
    return uni ? double(common) / double(uni) : 1.0;
}

uint64_t mulMod(uint64_t a, uint64_t b)
{
    const unsigned __int128 p = (unsigned __int128)a * b;
    uint64_t r = uint64_t(p & kPrime) + uint64_t(p >> 61);
    return r >= kPrime ? r - kPrime : r;
}

int findRoot(std::vector<int>& parent, int x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

} // namespace

double shingleJaccard(const QString& a, const QString& b)
{
    return jaccard(shingles(a), shingles(b));
}

QList<QList<int>> nearDuplicateGroups(const QStringList& texts, double threshold)
{
    const int n = int(texts.size());
    std::vector<std::vector<uint64_t>> sets(n);
    for (int i = 0; i < n; ++i)
        sets[i] = shingles(texts[i]);

    std::mt19937_64 rng(20260101); // fixed: the same data always gives the same groups
    std::vector<uint64_t> a(kHashes), b(kHashes);
    for (int k = 0; k < kHashes; ++k) {
        a[k] = rng() % (kPrime - 1) + 1;
        b[k] = rng() % kPrime;
    }
    std::vector<int> parent(n);
    std::iota(parent.begin(), parent.end(), 0);
    std::vector<std::unordered_map<uint64_t, std::vector<int>>> buckets(kBands);
    std::vector<uint64_t> sig(kHashes);
    for (int i = 0; i < n; ++i) {
        std::fill(sig.begin(), sig.end(), ~uint64_t(0));
        for (uint64_t s : sets[i]) {
            const uint64_t x = s % kPrime;
            for (int k = 0; k < kHashes; ++k) {
                const uint64_t h = (mulMod(a[k], x) + b[k]) % kPrime;
                sig[k] = std::min(sig[k], h);
            }
        }
        for (int band = 0; band < kBands; ++band) {
            uint64_t key = 1469598103934665603ull;
            for (int r = 0; r < kRows; ++r)
                key = (key ^ sig[band * kRows + r]) * 1099511628211ull;
            auto& bucket = buckets[band][key];
            for (int other : bucket)
                if (findRoot(parent, other) != findRoot(parent, i) && jaccard(sets[i], sets[other]) >= threshold)
                    parent[findRoot(parent, i)] = findRoot(parent, other);
            bucket.push_back(i);
        }
    }
    QHash<int, QList<int>> groups;
    for (int i = 0; i < n; ++i)
        groups[findRoot(parent, i)] << i;
    QList<QList<int>> out;
    for (auto& g : groups)
        if (g.size() > 1)
            out << g;
    std::sort(out.begin(), out.end(), [](const QList<int>& x, const QList<int>& y) { return x.first() < y.first(); });
    return out;
}

} // namespace fts
