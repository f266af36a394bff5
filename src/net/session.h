// Private to net/: one HTTP/1.1 connection, and the state it shares with the server.
//
// Ownership: a Session is held by its own pending I/O operations and by the
// Responder of the request it is answering, never by the server, which keeps only
// weak references to close connections at Stop(). All Session members except
// Deliver() run on the session's strand.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/asio.h"
#include "net/http_server.h"

namespace cronq::net::detail {

class Session;

// Shared by the server, its sessions and every outstanding Responder, so that a
// Responder kept past Stop(), or past ~HttpServer, still finds a live io_context.
struct ServerCore {
  ServerCore(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}

  asio::io_context ioc;  // first: destroyed after every socket that uses it
  const ServerOptions options;
  Handler handler;  // cleared once the I/O threads have been joined

  std::atomic<bool> draining{false};  // Stop() began: new requests get 503
  std::atomic<bool> stopped{false};   // drain over: Responders no longer post
  std::atomic<int> posting{0};        // Responders between their `stopped` check and post
  std::atomic<size_t> connections{0};
  // Requests handed to the handler whose answer is not yet written (or dropped).
  std::atomic<int64_t> inflight{0};

  std::mutex mu;
  std::condition_variable drained;             // signalled when inflight reaches 0
  std::list<std::weak_ptr<Session>> sessions;  // guarded by mu

  // Call once per dispatched request, when its answer is written or given up.
  void FinishInflight();
  // Snapshot of the live sessions, for Stop().
  std::vector<std::shared_ptr<Session>> LiveSessions();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ServerCore> core, tcp::socket socket);
  ~Session();

  // Registers with the core (so Stop() can find it) and starts reading.
  // Call once, right after make_shared, before Stop() can run.
  void Start();
  // Stop() began: closes the connection if it waits for a new request.
  void OnDrain();
  // Closes the socket; idempotent.
  void Close();
  // Answers the request being handled. Any thread; once per dispatched request.
  void Deliver(HttpResponse response);
  // A streamed response's next bytes (on the strand).
  void StreamWrite(std::string bytes);
  // The strand every member but Deliver() runs on.
  asio::any_io_executor get_executor() { return stream_.get_executor(); }

 private:
  void NextRequest();
  void ReadMore();
  void OnRead(error_code ec, size_t n);
  void Parse();
  bool OnHeader();
  void Dispatch();
  void FailParse(error_code ec);
  void Write(HttpResponse response, bool counted);
  void BuildHead(const HttpResponse& r);
  void OnWrite(error_code ec, bool counted);
  void Linger();
  void StartStream();
  void WriteStreamChunk();
  // While a request waits for its answer, a read watches for the client leaving.
  void Watch();
  void OnWatch(error_code ec, size_t n);
  void OnLinger(error_code ec, size_t n);

  std::shared_ptr<ServerCore> core_;  // first: keeps the io_context alive for stream_
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_addr_;
  std::string head_;      // the response's status line and headers
  std::string out_body_;  // the response body being written
  std::list<std::weak_ptr<Session>>::iterator registration_;
  size_t lingered_ = 0;    // bytes discarded after an error answer
  unsigned version_ = 11;  // of the request being answered
  bool keep_alive_ = true;
  bool header_seen_ = false;
  bool deadline_set_ = false;  // read_timeout armed for the current request
  bool idle_ = false;          // a read waits for the first byte of a request
  bool linger_ = false;        // after this answer, drain the client's input, then close
  bool registered_ = false;
  bool closed_ = false;
  bool watching_ = false;        // the watch read is in flight
  bool resume_after_watch_ = false;  // the answer was written during the watch
  std::shared_ptr<std::atomic<bool>> client_gone_;
  // A streamed response (server-sent events): chunks queued by its writer.
  bool streaming_ = false;
  bool stream_writing_ = false;
  std::function<void(std::shared_ptr<StreamWriter>)> on_stream_;
  std::deque<std::string> stream_queue_;
  size_t stream_queued_bytes_ = 0;
  std::shared_ptr<std::atomic<bool>> stream_closed_;
};

}  // namespace cronq::net::detail
