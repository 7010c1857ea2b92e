// Text clean-up used by the "normalize" curation step and by duplicate detection.
#pragma once

#include <QString>

namespace fts {

struct NormalizeOptions
{
    bool nfkc = true;            // Unicode compatibility forms: full-width letters, ligatures, ...
    bool collapseWhitespace = true;
    bool stripHtml = true;       // tags removed, entities (&amp; &#39; ...) decoded
    bool fixMojibake = true;     // "CafÃ©" (UTF-8 read as Windows-1252) -> "Café"
};

QString normalizeText(const QString& text, const NormalizeOptions& options = {});

// The key two texts share when they are "the same" for de-duplication: normalised, case-folded,
// punctuation-insensitive at the edges.
QString duplicateKey(const QString& text);

// Re-decodes text that went through a UTF-8 -> Windows-1252 mix-up; returns it unchanged when the
// repair would not give valid UTF-8 or when there is no sign of the mix-up.
QString repairMojibake(const QString& text);

} // namespace fts
