#include "cronq/client/queue.h"

#include "codec.h"
#include "core/limits.h"

namespace cronq::client {

using nlohmann::json;

Queue::Queue(std::string name, const ConnectionOptions& options) : name_(std::move(name)) {
  Result<std::shared_ptr<Connection>> c = Connection::Open(options);
  if (c.ok()) {
    conn_ = std::move(c).value();
  } else {
    open_error_ = c.status();
  }
}

Queue::Queue(std::string name, std::shared_ptr<Connection> connection)
    : name_(std::move(name)), conn_(std::move(connection)) {
  if (!conn_) open_error_ = Status::InvalidArgument("Queue needs a connection");
}

Result<Connection*> Queue::Conn() {
  if (!open_error_.ok()) return open_error_;
  if (!IsValidQueueName(name_))
    return Status::InvalidArgument("bad queue name '" + name_ + "': use 1-128 characters from A-Z a-z 0-9 . _ : -");
  return conn_.get();
}

std::string Queue::Path(const std::string& suffix) const { return "/v1/queues/" + name_ + suffix; }

Result<Added> Queue::Add(const std::string& job_name, const json& data, const JobOptions& options) {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  CRONQ_ASSIGN_OR_RETURN(json body, codec::EncodeJob("", job_name, data, options));
  CRONQ_ASSIGN_OR_RETURN(json r, c->Call("POST", Path("/jobs"), &body));
  return Added{codec::Str(r, "id"), r.value("duplicate", false), codec::Str(r, "state")};
}

Result<std::vector<Added>> Queue::AddBulk(const std::vector<NewJob>& jobs) {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  if (jobs.empty()) return Status::InvalidArgument("AddBulk needs at least one job");
  if (jobs.size() > limits::kBatch)
    return Status::TooLarge("AddBulk takes at most " + std::to_string(limits::kBatch) + " jobs, not " +
                            std::to_string(jobs.size()));
  json list = json::array();
  for (size_t i = 0; i < jobs.size(); ++i) {
    CRONQ_ASSIGN_OR_RETURN(json j, codec::EncodeJob("jobs[" + std::to_string(i) + "]: ", jobs[i].name,
                                                    jobs[i].data, jobs[i].options));
    list.push_back(std::move(j));
  }
  json body = {{"jobs", std::move(list)}};
  CRONQ_ASSIGN_OR_RETURN(json r, c->Call("POST", Path("/jobs"), &body));
  const json& answers = r.value("jobs", json::array());
  if (!answers.is_array() || answers.size() != jobs.size())
    return Status::Internal("the server answered " + std::to_string(answers.size()) + " ids for " +
                            std::to_string(jobs.size()) + " jobs");
  std::vector<Added> out;
  out.reserve(answers.size());
  for (const json& a : answers) out.push_back(Added{codec::Str(a, "id"), a.value("duplicate", false), ""});
  return out;
}

Result<JobInfo> Queue::GetJob(const std::string& id) {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  if (id.empty()) return Status::InvalidArgument("GetJob needs a job id");
  CRONQ_ASSIGN_OR_RETURN(json r, c->Call("GET", Path("/jobs/" + EncodePathSegment(id))));
  return codec::DecodeJobInfo(r);
}

Result<JobPage> Queue::GetJobs(const JobQuery& query) {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  if (query.limit < 1 || query.limit > 1000)
    return Status::InvalidArgument("GetJobs limit must be 1-1000, not " + std::to_string(query.limit));
  std::string path = Path("/jobs?limit=" + std::to_string(query.limit));
  if (!query.state.empty()) path += "&state=" + EncodePathSegment(query.state);
  if (!query.search.empty()) path += "&q=" + EncodePathSegment(query.search);
  if (!query.cursor.empty()) path += "&cursor=" + EncodePathSegment(query.cursor);
  CRONQ_ASSIGN_OR_RETURN(json r, c->Call("GET", path));
  JobPage page;
  for (const json& j : r.value("jobs", json::array())) page.jobs.push_back(codec::DecodeJobInfo(j));
  page.next_cursor = codec::Str(r, "nextCursor");
  return page;
}

Result<JobCounts> Queue::GetJobCounts() {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  Result<json> r = c->Call("GET", Path(""));
  if (!r.ok()) {
    if (r.status().IsNotFound()) return JobCounts{};  // never used: nothing in it
    return r.status();
  }
  return codec::DecodeCounts(*r);
}

Status Queue::Pause() {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  return c->Call("POST", Path("/pause")).status();
}

Status Queue::Resume() {
  CRONQ_ASSIGN_OR_RETURN(Connection * c, Conn());
  return c->Call("POST", Path("/resume")).status();
}

}  // namespace cronq::client
