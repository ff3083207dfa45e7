#pragma once

#include <nlohmann/json.hpp>

#include "stride/engine.h"

namespace stride::cli {

// The JSON form of a result, shared by `complete --json` and `batch`.
nlohmann::json result_to_json(const Result& r);

// Reads strategy and its parameters from a JSON request object into `req`.
void apply_request_options(const nlohmann::json& j, Request& req);

}  // namespace stride::cli
