#pragma once

namespace gh {

struct AdminServices;
struct HttpRequest;
class HttpResponder;

// GET /api/v1/stats (docs/admin-api.md): per connection time series and the latest refusals, for
// the desktop overview. The caller has checked the role (auditor or admin).
void handleStatsRequest(const AdminServices &services, const HttpRequest &req, const HttpResponder &res);

} // namespace gh
