// The client subcommands of `cronq` (everything but `serve` and `cron`).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/client.h"

namespace cronq::cli {

// Registers enqueue, queues, jobs, job, retry, remove, promote, pause, resume.
// `exit_code` receives the chosen command's result.
void AddClientCommands(CLI::App& app, std::shared_ptr<ClientOptions> opts, int& exit_code);
// Registers schedules and schedule set|show|rm|trigger|pause|resume.
void AddScheduleCommands(CLI::App& app, std::shared_ptr<ClientOptions> opts, int& exit_code);

}  // namespace cronq::cli
