#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"

namespace gh {

class Store;

// POST /api/v1/preview (docs/admin-api.md): what the rules, stored and/or a draft being edited,
// would do to one sample request or response, computed by the engine's own PolicyPlan and
// MaskPlan/JsonFieldMasker, with every mask match located in the sample in UTF-16 code units.
class AdminPreview final {
public:
    // The largest sample body the preview masks: beyond it 413 too_large.
    static constexpr qsizetype kMaxSampleBytes = 1024 * 1024;

    static void handle(const HttpRequest &req, const HttpResponder &res, Store &store);
};

} // namespace gh
