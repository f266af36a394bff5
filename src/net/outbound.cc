// OutboundClient over Beast: each pooled connection owns a private io_context
// that the calling thread runs for each step, with tcp_stream deadlines bounding
// every step (Beast's sync operations have no timeouts).
#include "net/outbound.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "net/asio.h"

namespace cronq::net {
namespace {

namespace ssl = boost::asio::ssl;
using Steady = std::chrono::steady_clock;

struct Target {
  Url origin;          // scheme, host, port
  std::string target;  // path and query as sent: "/api/jobs?x=1"
  std::string key;     // "https://host:port": the pool's key
  bool is_ip = false;
};

Result<Target> ParseTarget(const std::string& url) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return Status::InvalidArgument("url needs a scheme");
  const size_t path_at = url.find_first_of("/?#", sep + 3);
  Result<Url> origin = ParseUrl(std::string_view(url).substr(0, path_at));
  if (!origin.ok()) return origin.status();
  Target t;
  t.origin = std::move(*origin);
  t.target = path_at == std::string::npos ? "/" : url.substr(path_at);
  if (t.target.find('#') != std::string::npos) t.target.resize(t.target.find('#'));
  if (t.target.empty() || t.target[0] != '/') t.target.insert(0, "/");
  t.key = t.origin.scheme + "://" + t.origin.host + ":" + std::to_string(t.origin.port);
  error_code ec;
  std::string bare = t.origin.host;
  if (bare.size() > 2 && bare.front() == '[') bare = bare.substr(1, bare.size() - 2);
  (void)asio::ip::make_address(bare, ec);
  t.is_ip = !ec;
  if (t.is_ip) t.origin.host = bare;
  return t;
}


std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// An idle kept-alive connection: one thread uses it at a time.
struct Conn {
  explicit Conn(ssl::context* tls_ctx) {
    if (tls_ctx) tls.emplace(ioc, *tls_ctx);
    else tcp.emplace(ioc);
  }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
  void Run() {
    ioc.restart();
    ioc.run();
  }
  // The server closed it (FIN, alert or stray bytes) while it sat in the pool.
  bool ClosedByPeer() {
    char c;
    const ssize_t n = ::recv(lowest().socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  asio::io_context ioc;
  std::optional<beast::tcp_stream> tcp;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Steady::time_point idle_since;
};

std::string TlsFailure(Conn& c, const error_code& ec) {
  const long v = SSL_get_verify_result(c.tls->native_handle());
  if (v != X509_V_OK) return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
  return "TLS handshake failed: " + ec.message();
}

}  // namespace

class OutboundClient::Impl {
 public:
  explicit Impl(OutboundOptions o) : opt_(std::move(o)), tls_ctx_(ssl::context::tls_client) {}

  Status Init() {
    error_code ec;
    tls_ctx_.set_default_verify_paths(ec);
    if (ec) return Status::Unavailable("cannot load the system CA store: " + ec.message());
    if (!opt_.ca_file.empty()) {
      tls_ctx_.load_verify_file(opt_.ca_file, ec);
      if (ec) return Status::InvalidArgument("cannot read CA file " + opt_.ca_file + ": " + ec.message());
    }
    tls_ctx_.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_ctx_.native_handle(), TLS1_2_VERSION);
    return Status::Ok();
  }

  CallResult Call(const OutboundRequest& req);

 private:
  std::unique_ptr<Conn> TakeIdle(const std::string& key);
  void GiveBack(const std::string& key, std::unique_ptr<Conn> c);
  CallResult Connect(Conn& c, const Target& t, Steady::time_point deadline);
  template <typename Stream>
  CallResult Exchange(Conn& c, Stream& s, bhttp::request<bhttp::string_body>& req, Steady::time_point deadline,
                      bool& keep, bool& nothing_back);

  OutboundOptions opt_;
  ssl::context tls_ctx_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> idle_;
};

std::unique_ptr<Conn> OutboundClient::Impl::TakeIdle(const std::string& key) {
  std::vector<std::unique_ptr<Conn>> doomed;  // closed outside the lock
  std::unique_ptr<Conn> out;
  {
    std::lock_guard lk(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& v = it->second;
    while (!v.empty() && !out) {
      std::unique_ptr<Conn> c = std::move(v.back());
      v.pop_back();
      if (Steady::now() - c->idle_since > std::chrono::milliseconds(opt_.idle_keep) || c->ClosedByPeer())
        doomed.push_back(std::move(c));
      else
        out = std::move(c);
    }
  }
  return out;
}

void OutboundClient::Impl::GiveBack(const std::string& key, std::unique_ptr<Conn> c) {
  c->idle_since = Steady::now();
  std::lock_guard lk(mu_);
  auto& v = idle_[key];
  if (v.size() < opt_.max_idle_per_origin) v.push_back(std::move(c));
}

CallResult OutboundClient::Impl::Connect(Conn& c, const Target& t, Steady::time_point deadline) {
  const std::string where = t.origin.host + ":" + std::to_string(t.origin.port);
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
  if (t.is_ip) {
    endpoints.emplace_back(asio::ip::make_address(t.origin.host), t.origin.port);
  } else {  // resolved without a deadline of its own (getaddrinfo cannot be cancelled)
    tcp::resolver resolver(c.ioc);
    auto results = resolver.resolve(t.origin.host, std::to_string(t.origin.port), ec);
    if (ec) return {CallError::kConnect, "cannot resolve " + t.origin.host + ": " + ec.message(), {}};
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  const auto connect_by = std::min(deadline, Steady::now() + std::chrono::milliseconds(opt_.connect_timeout));
  c.lowest().expires_at(connect_by);
  c.lowest().async_connect(endpoints, [&ec](error_code e, const tcp::endpoint&) { ec = e; });
  c.Run();
  if (ec == beast::error::timeout && Steady::now() >= deadline)
    return {CallError::kTimeout, "no connection to " + where + " before the deadline", {}};
  if (ec) return {CallError::kConnect, "connect to " + where + ": " + ec.message(), {}};
  c.lowest().socket().set_option(tcp::no_delay(true), ec);
  if (!c.tls) return {};
  SSL* ssl = c.tls->native_handle();
  if (!t.is_ip && !SSL_set_tlsext_host_name(ssl, t.origin.host.c_str()))
    return {CallError::kTls, "cannot set the TLS server name", {}};
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = t.is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, t.origin.host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, t.origin.host.c_str(), 0);
  if (set != 1) return {CallError::kTls, "cannot check the certificate against " + t.origin.host, {}};
  c.lowest().expires_at(connect_by);
  c.tls->async_handshake(ssl::stream_base::client, [&ec](error_code e) { ec = e; });
  c.Run();
  if (ec == beast::error::timeout && Steady::now() >= deadline)
    return {CallError::kTimeout, "TLS handshake with " + where + " did not finish before the deadline", {}};
  if (ec == beast::error::timeout) return {CallError::kTls, "TLS handshake with " + where + " timed out", {}};
  if (ec) return {CallError::kTls, where + ": " + TlsFailure(c, ec), {}};
  return {};
}

template <typename Stream>
CallResult OutboundClient::Impl::Exchange(Conn& c, Stream& s, bhttp::request<bhttp::string_body>& req,
                                          Steady::time_point deadline, bool& keep, bool& nothing_back) {
  error_code ec;
  c.lowest().expires_at(deadline);
  bhttp::async_write(s, req, [&ec](error_code e, size_t) { ec = e; });
  c.Run();
  const error_code write_ec = ec;  // a server may answer early and stop reading: read anyway
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  do {
    parser.emplace();
    parser->body_limit(opt_.response_limit);
    parser->header_limit(64 * 1024);
    ec = {};
    // The header first: Beast 1.74 loses the body_limit error of a too-long
    // Content-Length when body bytes arrive with the header, so it is checked here.
    bhttp::async_read_header(s, c.buffer, *parser, [&ec](error_code e, size_t) { ec = e; });
    c.Run();
    if (!ec && parser->content_length() && *parser->content_length() > opt_.response_limit)
      ec = bhttp::error::body_limit;
    if (!ec && !parser->is_done()) {
      bhttp::async_read(s, c.buffer, *parser, [&ec](error_code e, size_t) { ec = e; });
      c.Run();
    }
    if (ec) {
      nothing_back = !parser->got_some();
      if (ec == beast::error::timeout) return {CallError::kTimeout, "no answer before the deadline", {}};
      if (ec == bhttp::error::body_limit)
        return {CallError::kTooLarge,
                "answer larger than " + std::to_string(opt_.response_limit) + " bytes", {}};
      const error_code& shown = write_ec && nothing_back ? write_ec : ec;
      return {CallError::kTransport, "connection failed: " + shown.message(), {}};
    }
  } while (parser->get().result_int() / 100 == 1);
  auto msg = parser->release();
  CallResult out;
  out.response.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg)
    out.response.headers.emplace_back(Lower(std::string(f.name_string())), std::string(f.value()));
  out.response.body = std::move(msg.body());
  keep = msg.keep_alive() && !write_ec;
  return out;
}

CallResult OutboundClient::Impl::Call(const OutboundRequest& r) {
  Result<Target> t = ParseTarget(r.url);
  if (!t.ok()) return {CallError::kBadUrl, t.status().message(), {}};
  const bool https = t->origin.scheme == "https";
  const auto deadline = Steady::now() + std::chrono::milliseconds(std::max<Millis>(r.timeout, 1));

  bhttp::request<bhttp::string_body> req;
  req.method_string(r.method);
  req.target(t->target);
  req.version(11);
  const bool default_port = t->origin.port == (https ? 443 : 80);
  const std::string host = t->origin.host.find(':') != std::string::npos ? "[" + t->origin.host + "]" : t->origin.host;
  req.set(bhttp::field::host, default_port ? host : host + ":" + std::to_string(t->origin.port));
  for (const auto& [k, v] : r.headers) req.insert(k, v);
  req.body() = r.body;
  req.prepare_payload();

  for (int round = 0;; ++round) {
    std::unique_ptr<Conn> c = round == 0 ? TakeIdle(t->key) : nullptr;
    const bool reused = c != nullptr;
    if (!c) {
      c = std::make_unique<Conn>(https ? &tls_ctx_ : nullptr);
      CallResult connected = Connect(*c, *t, deadline);
      if (!connected.ok()) return connected;
    }
    bool keep = false, nothing_back = false;
    CallResult out = c->tls ? Exchange(*c, *c->tls, req, deadline, keep, nothing_back)
                            : Exchange(*c, *c->tcp, req, deadline, keep, nothing_back);
    if (out.ok()) {
      if (keep) GiveBack(t->key, std::move(c));
      return out;
    }
    if (!(reused && nothing_back && out.error == CallError::kTransport)) return out;
    // A kept-alive connection the server had closed: once more on a new one.
  }
}

Result<std::unique_ptr<OutboundClient>> OutboundClient::Create(OutboundOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  CRONQ_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<OutboundClient>(new OutboundClient(std::move(impl)));
}

OutboundClient::OutboundClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OutboundClient::~OutboundClient() = default;

CallResult OutboundClient::Call(const OutboundRequest& req) { return impl_->Call(req); }

}  // namespace cronq::net
