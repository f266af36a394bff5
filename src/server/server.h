// `cronq serve`: opens the store, starts the engine and the HTTP server, and
// runs until SIGINT or SIGTERM, then drains gracefully.
#pragma once

#include "server/config.h"

namespace cronq::server {

// Returns the process exit code.
int RunServer(Config cfg);

}  // namespace cronq::server
