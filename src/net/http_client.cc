// A blocking client built from Beast's async operations on a private io_context:
// the sync ones have no timeouts, while tcp_stream::expires_after bounds async ones.
#include "net/http_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "net/asio.h"

namespace cronq::net {
namespace {

constexpr uint64_t kResponseLimit = 64 * 1024 * 1024;

// Errors that a kept-alive connection closed by the server shows. The server may
// also have closed it after reading the request, so only idempotent requests are
// sent again after one of these.
bool IsStaleConnection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == bhttp::error::partial_message;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

// True when a kept-alive socket has seen the server's FIN (or an error, or stray
// bytes): a non-blocking peek finds something instead of "would block".
bool ClosedByPeer(tcp::socket& socket) {
  char c;
  ssize_t n = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

void AsciiLower(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

}  // namespace

std::string_view ClientResponse::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

class HttpClient::Impl {
 public:
  Impl(std::string host, uint16_t port, Millis timeout)
      : host_(std::move(host)), port_(port), timeout_(timeout), stream_(ioc_) {}

  Result<ClientResponse> Request(std::string_view method, std::string_view target,
                                 std::string_view body, const Fields& headers);
  void Close() {
    stream_.close();
    connected_ = false;
    buffer_.clear();
  }

 private:
  error_code Connect();
  error_code Exchange(const bhttp::request<bhttp::string_body>& req, ClientResponse& out, bool& keep);
  void RunIo() {
    ioc_.restart();
    ioc_.run();
  }

  std::string host_;
  uint16_t port_;
  Millis timeout_;
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

error_code HttpClient::Impl::Connect() {
  Close();
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
  auto addr = asio::ip::make_address(host_, ec);
  if (!ec) {
    endpoints.emplace_back(addr, port_);
  } else {  // a name: resolved without a timeout (expected to be local, e.g. "localhost")
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) return ec;
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  stream_.expires_after(std::chrono::milliseconds(timeout_));
  stream_.async_connect(endpoints, [&ec](error_code e, const tcp::endpoint&) { ec = e; });
  RunIo();
  if (ec) return ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  connected_ = true;
  return {};
}

// Writes the request and reads one final response (skipping 1xx), all under one
// deadline. `keep` tells whether the connection may be reused.
error_code HttpClient::Impl::Exchange(const bhttp::request<bhttp::string_body>& req,
                                      ClientResponse& out, bool& keep) {
  error_code ec;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  stream_.expires_after(std::chrono::milliseconds(timeout_));
  bhttp::async_write(stream_, req, [&ec](error_code e, size_t) { ec = e; });
  RunIo();
  // A server may answer early (413) and stop reading: look for its answer anyway.
  const error_code write_ec = ec;
  ec = {};
  do {
    parser.emplace();
    parser->body_limit(kResponseLimit);
    parser->skip(req.method() == bhttp::verb::head);  // a HEAD answer has no body
    bhttp::async_read(stream_, buffer_, *parser, [&ec](error_code e, size_t) { ec = e; });
    RunIo();
    if (ec) return write_ec ? write_ec : ec;
  } while (parser->get().result_int() / 100 == 1);
  auto msg = parser->release();
  out.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) {
    std::string name(field.name_string().data(), field.name_string().size());
    AsciiLower(name);
    out.headers.emplace_back(std::move(name), std::string(field.value().data(), field.value().size()));
  }
  out.body = std::move(msg.body());
  keep = msg.keep_alive() && !write_ec;
  return {};
}

Result<ClientResponse> HttpClient::Impl::Request(std::string_view method, std::string_view target,
                                                 std::string_view body, const Fields& headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(bhttp::field::host, host_ + ":" + std::to_string(port_));
  for (const auto& [k, v] : headers) req.insert(beast::string_view(k), beast::string_view(v));
  req.body() = std::string(body);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    if (connected_ && ClosedByPeer(stream_.socket())) Close();  // idle-closed: reconnect first
    bool reused = connected_;
    if (!connected_) {
      if (error_code ec = Connect()) {
        Close();
        return Status::Unavailable("connect to " + host_ + ":" + std::to_string(port_) + ": " + ec.message());
      }
    }
    ClientResponse out;
    bool keep = false;
    error_code ec = Exchange(req, out, keep);
    if (!ec) {
      if (!keep) Close();
      return out;
    }
    Close();
    if (!(reused && attempt == 0 && IsStaleConnection(ec) && IsIdempotent(method))) {
      return Status::Unavailable(std::string(method) + " " + std::string(target) + ": " + ec.message());
    }
  }
}

HttpClient::HttpClient(std::string host, uint16_t port, Millis timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

HttpClient::~HttpClient() = default;

Result<ClientResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                           std::string_view body, const Fields& headers) {
  return impl_->Request(method, target, body, headers);
}

void HttpClient::Close() { impl_->Close(); }

}  // namespace cronq::net
