// One HTTP/1.1 connection: read a request, hand it to the handler, write the answer,
// repeat while the connection is kept alive.
//
// The request is parsed by hand from one flat_buffer (read_some + parser.put) rather
// than with http::async_read, so that a request costs one read and no extra post,
// and so that the idle timeout (no byte of a request yet) and the read timeout
// (one whole request once begun) can be told apart. The response head is formatted
// into a reused string and written with the body in one gather write.
#include "net/session.h"

#include <array>
#include <charconv>
#include <chrono>

namespace cronq::net::detail {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kLingerMax = 64 * 1024 * 1024;  // input discarded at most after an error answer
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::chrono::milliseconds Ms(Millis m) { return std::chrono::milliseconds(m); }

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = ErrorBody(code, message);
  return r;
}

void AsciiLower(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

void AsciiUpper(std::string& s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
}

// ASCII case-insensitive equality (Beast 1.74's iequals takes boost::string_view).
bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Extra headers may not break the framing: no CR/LF, and none that we set.
bool SafeExtraHeader(std::string_view name, std::string_view value) {
  if (name.empty() || name.find_first_of("\r\n: ") != std::string_view::npos) return false;
  if (value.find_first_of("\r\n") != std::string_view::npos) return false;
  return !IEquals(name, "content-length") && !IEquals(name, "transfer-encoding") &&
         !IEquals(name, "connection");
}

// What a Responder holds. Answers 500 if every copy is dropped unanswered.
class Pending {
 public:
  explicit Pending(std::shared_ptr<Session> s) : session_(std::move(s)) {}
  ~Pending() {
    if (!answered_.exchange(true)) {
      session_->Deliver(ErrorResponse(500, "internal", "the request was dropped unanswered"));
    }
  }
  void Answer(HttpResponse r) {
    if (!answered_.exchange(true)) session_->Deliver(std::move(r));
  }

 private:
  std::shared_ptr<Session> session_;
  std::atomic<bool> answered_{false};
};

// Hands bytes to the session's strand; holds the session weakly, so a writer
// kept by the API does not keep a closed connection alive.
class SessionStream final : public StreamWriter {
 public:
  SessionStream(std::weak_ptr<Session> s, std::shared_ptr<std::atomic<bool>> closed)
      : session_(std::move(s)), closed_(std::move(closed)) {}
  bool Write(std::string bytes) override {
    if (closed_->load()) return false;
    auto s = session_.lock();
    if (!s) return false;
    asio::dispatch(s->get_executor(), [s, b = std::move(bytes)]() mutable { s->StreamWrite(std::move(b)); });
    return true;
  }
  void Close() override {
    if (closed_->exchange(true)) return;
    if (auto s = session_.lock()) asio::dispatch(s->get_executor(), [s] { s->Close(); });
  }
  bool closed() const override { return closed_->load(); }

 private:
  std::weak_ptr<Session> session_;
  std::shared_ptr<std::atomic<bool>> closed_;
};

constexpr size_t kStreamBacklog = 1024 * 1024;  // a client this far behind is dropped

}  // namespace

void ServerCore::FinishInflight() {
  if (inflight.fetch_sub(1) == 1 && draining.load()) {
    std::lock_guard lock(mu);  // pairs with the predicate check in Stop()
    drained.notify_all();
  }
}

std::vector<std::shared_ptr<Session>> ServerCore::LiveSessions() {
  std::vector<std::shared_ptr<Session>> out;
  std::lock_guard lock(mu);
  out.reserve(sessions.size());
  for (auto& weak : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

Session::Session(std::shared_ptr<ServerCore> core, tcp::socket socket)
    : core_(std::move(core)), stream_(std::move(socket)) {
  error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    auto addr = ep.address().to_string();
    remote_addr_ = ep.address().is_v6() ? "[" + addr + "]" : addr;
    remote_addr_ += ':';
    AppendNumber(remote_addr_, ep.port());
  }
}

Session::~Session() { Close(); }

void Session::Start() {
  {
    std::lock_guard lock(core_->mu);
    registration_ = core_->sessions.insert(core_->sessions.end(), weak_from_this());
    registered_ = true;
  }
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->NextRequest(); });
}

void Session::OnDrain() {
  if (idle_ || streaming_) Close();
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  idle_ = false;
  if (stream_closed_) stream_closed_->store(true);
  stream_.close();
  core_->connections.fetch_sub(1);
  if (registered_) {
    std::lock_guard lock(core_->mu);
    core_->sessions.erase(registration_);
    registered_ = false;
  }
}

void Session::NextRequest() {
  const ServerOptions& o = core_->options;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(o.header_limit));
  parser_->body_limit(static_cast<uint64_t>(o.body_limit));
  header_seen_ = false;
  deadline_set_ = false;
  if (buffer_.size() > 0) {
    Parse();  // a pipelined request is already here
  } else {
    ReadMore();
  }
}

// Arms the idle timeout before a request's first byte, then one read_timeout
// deadline for the rest of the request.
void Session::ReadMore() {
  if (closed_) return;
  const ServerOptions& o = core_->options;
  idle_ = buffer_.size() == 0 && !parser_->got_some();
  if (idle_) {
    if (core_->draining.load()) return Close();
    stream_.expires_after(Ms(o.idle_timeout));
  } else if (!deadline_set_) {
    stream_.expires_after(Ms(o.read_timeout));
    deadline_set_ = true;
  }
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
}

void Session::OnRead(error_code ec, size_t n) {
  idle_ = false;
  if (ec) return Close();  // end of stream, reset, timeout, or closed by Stop()
  buffer_.commit(n);
  Parse();
}

void Session::Parse() {
  while (buffer_.size() > 0 && !parser_->is_done()) {
    error_code ec;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == bhttp::error::need_more) break;
    if (ec) return FailParse(ec);
    if (!header_seen_ && parser_->is_header_done()) {
      header_seen_ = true;
      parser_->eager(true);  // from here on, parse as much body as the buffer holds
      if (!OnHeader()) return;
    }
    if (used == 0) break;
  }
  if (parser_->is_done()) return Dispatch();
  ReadMore();
}

// Sends "100 Continue" when the client waits for it (curl does for bodies over
// 1 KiB). Returns false when it took over reading.
bool Session::OnHeader() {
  if (parser_->is_done() || buffer_.size() > 0) return true;
  if (!IEquals(ToStd(parser_->get()[bhttp::field::expect]), "100-continue")) return true;
  if (!deadline_set_) {
    stream_.expires_after(Ms(core_->options.read_timeout));
    deadline_set_ = true;
  }
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](error_code ec, size_t) {
                      if (ec) return self->Close();
                      self->ReadMore();
                    });
  return false;
}

void Session::FailParse(error_code ec) {
  HttpResponse r;
  if (ec == bhttp::error::body_limit) {
    r = ErrorResponse(413, "too_large",
                      "request body is over " + std::to_string(core_->options.body_limit) + " bytes");
  } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    r = ErrorResponse(431, "too_large", "request header is too large");
  } else {
    r = ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  version_ = 11;
  keep_alive_ = false;
  linger_ = true;
  Write(std::move(r), false);
}

void Session::Dispatch() {
  auto msg = parser_->release();
  version_ = msg.version();
  keep_alive_ = msg.keep_alive();
  if (core_->draining.load()) {
    return Write(ErrorResponse(503, "unavailable", "the server is shutting down"), false);
  }
  HttpRequest req;
  req.method = std::string(ToStd(msg.method_string()));
  AsciiUpper(req.method);
  req.target = std::string(ToStd(msg.target()));
  SplitTarget(req.target, req.path, req.query);
  for (const auto& field : msg) {
    std::string name(ToStd(field.name_string()));
    AsciiLower(name);
    req.headers.emplace_back(std::move(name), std::string(ToStd(field.value())));
  }
  req.body = std::move(msg.body());
  req.remote_addr = remote_addr_;
  client_gone_ = std::make_shared<std::atomic<bool>>(false);
  req.client_gone = client_gone_;

  core_->inflight.fetch_add(1);
  Responder respond = [p = std::make_shared<Pending>(shared_from_this())](HttpResponse r) {
    p->Answer(std::move(r));
  };
  try {
    core_->handler(std::move(req), std::move(respond));
  } catch (...) {
    // The handler broke its contract; if it kept no copy of the Responder, the
    // Pending's destructor has already answered 500.
  }
  Watch();
}

// HTTP/1.1 clients may send the next request before this answer; a read now
// keeps those bytes for later and, above all, notices a client that closed the
// connection (EOF), so that a long-poll does not lease a job to nobody.
void Session::Watch() {
  if (closed_ || watching_ || buffer_.size() > 0) return;
  watching_ = true;
  stream_.expires_never();  // no deadline while the answer is being worked on
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, size_t n) { self->OnWatch(ec, n); });
}

void Session::OnWatch(error_code ec, size_t n) {
  watching_ = false;
  buffer_.commit(n);  // bytes of a pipelined request, if any
  const bool cancelled = ec == asio::error::operation_aborted;
  if (ec && !cancelled && client_gone_) client_gone_->store(true);
  if (closed_) return;
  if (streaming_) {  // a stream ends when its client leaves; anything it sends is ignored
    if (ec) return Close();
    buffer_.clear();
    return Watch();
  }
  if (resume_after_watch_) {  // the answer went out meanwhile: carry on with the next request
    resume_after_watch_ = false;
    if (ec && !cancelled) return Close();
    return NextRequest();
  }
  // End of input (the client closed, or only shut down its sending side): the
  // answer is still written, in case it reads; a long-poll learns it is gone. A
  // reset or another error ends the connection now.
  if (ec && ec != asio::error::eof && ec != beast::http::error::end_of_stream) return Close();
  // Bytes of a pipelined request: kept in buffer_ and parsed after this answer.
}

// Any thread. `posting` lets Stop() wait until no Responder is half-way through
// posting, so nothing is queued on an io_context whose threads have exited.
void Session::Deliver(HttpResponse response) {
  ServerCore& core = *core_;
  core.posting.fetch_add(1);
  if (core.stopped.load()) {
    core.posting.fetch_sub(1);
    core.FinishInflight();
    return;
  }
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this(), r = std::move(response)]() mutable {
                   self->Write(std::move(r), true);
                 });
  core.posting.fetch_sub(1);
}

void Session::Write(HttpResponse response, bool counted) {
  if (closed_) {
    if (counted) core_->FinishInflight();
    return;
  }
  if (core_->draining.load()) keep_alive_ = false;
  if (response.on_stream) {
    if (core_->draining.load()) {  // no new stream while stopping
      response = ErrorResponse(503, "unavailable", "the server is shutting down");
    } else {
      streaming_ = true;
      keep_alive_ = false;
      on_stream_ = std::move(response.on_stream);
      stream_closed_ = std::make_shared<std::atomic<bool>>(false);
    }
  }
  out_body_ = std::move(response.body);
  BuildHead(response);
  stream_.expires_after(Ms(core_->options.read_timeout));  // bounds a client that stops reading
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head_), asio::buffer(out_body_)};
  asio::async_write(stream_, bufs, [self = shared_from_this(), counted](error_code ec, size_t) {
    self->OnWrite(ec, counted);
  });
}

void Session::BuildHead(const HttpResponse& r) {
  int status = (r.status >= 200 && r.status <= 599) ? r.status : 500;
  bool no_body = status == 204 || status == 304;
  if (no_body) out_body_.clear();
  head_.clear();
  head_ += "HTTP/1.1 ";
  AppendNumber(head_, static_cast<uint64_t>(status));
  head_ += ' ';
  auto code = bhttp::int_to_status(static_cast<unsigned>(status));
  head_ += code == bhttp::status::unknown ? "Status" : ToStd(bhttp::obsolete_reason(code));
  head_ += "\r\nServer: cronq\r\n";
  if (!no_body) {
    if (!r.content_type.empty() && SafeExtraHeader("content-type", r.content_type)) {
      head_.append("Content-Type: ").append(r.content_type).append("\r\n");
    }
    if (!streaming_) {  // a stream's body ends when the connection closes
      head_ += "Content-Length: ";
      AppendNumber(head_, out_body_.size());
      head_ += "\r\n";
    } else {
      head_ += "Cache-Control: no-cache\r\n";
    }
  }
  for (const auto& [name, value] : r.headers) {
    if (SafeExtraHeader(name, value)) head_.append(name).append(": ").append(value).append("\r\n");
  }
  if (!keep_alive_) {
    head_ += "Connection: close\r\n";
  } else if (version_ == 10) {
    head_ += "Connection: keep-alive\r\n";
  }
  head_ += "\r\n";
}

void Session::OnWrite(error_code ec, bool counted) {
  if (counted) core_->FinishInflight();
  if (ec) return Close();
  if (streaming_) return StartStream();
  if (!keep_alive_) return linger_ ? Linger() : Close();
  if (watching_) {  // one read at a time: end the watch; OnWatch goes on with the next request
    resume_after_watch_ = true;
    error_code ignored;
    stream_.socket().cancel(ignored);
    return;
  }
  NextRequest();
}

// The head of a streamed response is out: hand the API its writer. From here on
// the watch read notices the client leaving; the session lives as long as a
// read or write is pending.
void Session::StartStream() {
  stream_.expires_never();
  auto fn = std::move(on_stream_);
  on_stream_ = nullptr;
  if (fn) fn(std::make_shared<SessionStream>(weak_from_this(), stream_closed_));
  if (!watching_) buffer_.clear();  // a pipelined request is never answered on a stream
  Watch();
}

void Session::StreamWrite(std::string bytes) {
  if (closed_ || !streaming_ || bytes.empty()) return;
  stream_queued_bytes_ += bytes.size();
  if (stream_queued_bytes_ > kStreamBacklog) return Close();
  stream_queue_.push_back(std::move(bytes));
  if (!stream_writing_) WriteStreamChunk();
}

void Session::WriteStreamChunk() {
  if (closed_) return;
  if (stream_queue_.empty()) {
    stream_writing_ = false;
    stream_.expires_never();
    return;
  }
  stream_writing_ = true;
  out_body_ = std::move(stream_queue_.front());
  stream_queue_.pop_front();
  stream_queued_bytes_ -= out_body_.size();
  stream_.expires_after(Ms(core_->options.read_timeout));  // bounds a client that stops reading
  asio::async_write(stream_, asio::buffer(out_body_), [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->Close();
    self->WriteStreamChunk();
  });
}

// After an error answer the client may still be sending a body; closing with unread
// input would reset the connection and could destroy the answer before it is read.
void Session::Linger() {
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(kLingerTime);
  buffer_.clear();
  lingered_ = 0;
  OnLinger({}, 0);
}

void Session::OnLinger(error_code ec, size_t n) {
  lingered_ += n;
  if (ec || closed_ || lingered_ > kLingerMax) return Close();
  stream_.async_read_some(buffer_.prepare(kReadChunk),  // never committed: discarded
                          [self = shared_from_this()](error_code e, size_t m) { self->OnLinger(e, m); });
}

}  // namespace cronq::net::detail
