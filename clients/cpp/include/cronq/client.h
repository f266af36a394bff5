// The cronq C++ client: one include for Connection, Queue and Worker.
#pragma once

#include "cronq/client/connection.h"
#include "cronq/client/queue.h"
#include "cronq/client/worker.h"
