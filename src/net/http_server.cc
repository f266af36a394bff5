// The listener and the server's lifecycle; connections live in session.cc.
#include "net/http_server.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <thread>
#include <vector>

#include "net/session.h"

namespace cronq::net {

using detail::ServerCore;
using detail::Session;

namespace {
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);  // after EMFILE and the like
// How long Stop() lets the I/O threads finish their last handlers after closing
// every socket, before it stops the io_context outright.
constexpr auto kExitGrace = std::chrono::seconds(2);
}  // namespace

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, Handler handler)
      : core_(std::make_shared<ServerCore>(std::move(options), std::move(handler))),
        acceptor_(asio::make_strand(core_->ioc)),
        retry_(acceptor_.get_executor()) {}

  Status Start();
  void Stop(Millis drain);
  uint16_t port() const { return port_; }
  void Post(std::function<void()> fn) { asio::post(core_->ioc, std::move(fn)); }
  bool PostHere(std::function<void()> fn) {
    if (core_->stopped.load() || !core_->ioc.get_executor().running_in_this_thread()) return false;
    // From inside the io_context this lands on the thread's private queue: it
    // runs after the thread's ready handlers, without waking another thread.
    asio::post(core_->ioc, std::move(fn));
    return true;
  }

 private:
  Status Listen();
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
  void RunThread();
  void CloseAcceptor();
  void JoinThreads();

  std::shared_ptr<ServerCore> core_;  // first: outlives the acceptor and timer below
  tcp::acceptor acceptor_;            // on its own strand
  asio::steady_timer retry_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;  // serializes Start() and Stop()
  bool started_ = false;
  bool finished_ = false;
  uint16_t port_ = 0;
  std::mutex exit_mu_;
  std::condition_variable exit_cv_;
  int running_ = 0;  // I/O threads still inside RunThread(); guarded by exit_mu_
};

Status HttpServer::Impl::Listen() {
  const ServerOptions& o = core_->options;
  error_code ec;
  tcp::endpoint endpoint;
  auto addr = asio::ip::make_address(o.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(addr, o.port);
  } else {  // a name such as "localhost": take its first address
    tcp::resolver resolver(core_->ioc);
    auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty()) return Status::InvalidArgument("cannot resolve host " + o.host);
    endpoint = results.begin()->endpoint();
  }
  const std::string where = o.host + ":" + std::to_string(o.port);
  if (acceptor_.open(endpoint.protocol(), ec) ||
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec) ||
      acceptor_.bind(endpoint, ec) || acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
    error_code ignored;
    acceptor_.close(ignored);
    return Status::Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  return Status::Ok();
}

Status HttpServer::Impl::Start() {
  std::lock_guard lock(stop_mu_);
  if (started_) return Status::Internal("HttpServer::Start called twice");
  CRONQ_RETURN_IF_ERROR(Listen());
  started_ = true;
  work_.emplace(core_->ioc.get_executor());
  asio::post(acceptor_.get_executor(), [this] { Accept(); });
  int n = std::max(1, core_->options.threads);
  running_ = n;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { RunThread(); });
  return Status::Ok();
}

void HttpServer::Impl::RunThread() {
  for (;;) {
    try {
      core_->ioc.run();
      break;
    } catch (...) {
      // A handler threw past our own catch; keep serving the other connections.
    }
  }
  std::lock_guard lock(exit_mu_);
  if (--running_ == 0) exit_cv_.notify_all();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(core_->ioc), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

// Runs on the acceptor's strand. Over max_connections, the new socket is closed at
// once: the client sees a reset rather than a slow queue.
void HttpServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (core_->draining.load() || !acceptor_.is_open()) return;
  if (ec) {
    retry_.expires_after(kAcceptRetry);
    retry_.async_wait([this](error_code e) {
      if (!e) Accept();
    });
    return;
  }
  if (core_->connections.load() >= core_->options.max_connections) {
    error_code ignored;
    socket.close(ignored);
  } else {
    core_->connections.fetch_add(1);
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(core_, std::move(socket))->Start();
  }
  Accept();
}

// Closes the acceptor on its strand and waits, so that every session that will
// ever exist is registered when this returns.
void HttpServer::Impl::CloseAcceptor() {
  std::promise<void> done;
  asio::post(acceptor_.get_executor(), [this, &done] {
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    done.set_value();
  });
  done.get_future().wait();
}

void HttpServer::Impl::JoinThreads() {
  work_.reset();
  {
    std::unique_lock lock(exit_mu_);
    if (!exit_cv_.wait_for(lock, kExitGrace, [this] { return running_ == 0; })) {
      core_->ioc.stop();  // something still holds work; give up on it
    }
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// REQUIRES: not called from an I/O thread (a handler), since it joins them.
void HttpServer::Impl::Stop(Millis drain) {
  std::lock_guard lock(stop_mu_);
  if (!started_ || finished_) return;
  finished_ = true;
  ServerCore& core = *core_;
  core.draining.store(true);
  CloseAcceptor();
  for (auto& s : core.LiveSessions()) {
    asio::post(s->get_executor(), [s] { s->OnDrain(); });
  }
  {
    std::unique_lock l(core.mu);
    core.drained.wait_for(l, std::chrono::milliseconds(std::max<Millis>(drain, 0)),
                          [&] { return core.inflight.load() == 0; });
  }
  core.stopped.store(true);
  while (core.posting.load() != 0) std::this_thread::yield();
  for (auto& s : core.LiveSessions()) {
    asio::post(s->get_executor(), [s] { s->Close(); });
  }
  JoinThreads();
  core.handler = nullptr;  // no thread can call it any more
}

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->Stop(0); }

Status HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop(Millis drain) { impl_->Stop(drain); }

void HttpServer::Post(std::function<void()> fn) { impl_->Post(std::move(fn)); }

bool HttpServer::PostHere(std::function<void()> fn) { return impl_->PostHere(std::move(fn)); }

}  // namespace cronq::net
