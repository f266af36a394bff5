#include "support/push_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <stdexcept>

namespace cronq::testing {
namespace {

// One connection's byte stream, plain or TLS.
struct Io {
  int fd;
  SSL* ssl = nullptr;
  long Read(char* buf, size_t n) { return ssl ? SSL_read(ssl, buf, static_cast<int>(n)) : ::recv(fd, buf, n, 0); }
  bool WriteAll(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      long w = ssl ? SSL_write(ssl, s.data() + off, static_cast<int>(s.size() - off))
                   : ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

PushReceiver::PushReceiver(Handler handler, std::optional<Tls> tls) : handler_(std::move(handler)) {
  std::signal(SIGPIPE, SIG_IGN);  // SSL_write to a peer that left must fail, not kill the test
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("cannot load the test certificate " + tls->cert_file);
    ctx_ = std::shared_ptr<void>(ctx, [](void* p) { SSL_CTX_free(static_cast<SSL_CTX*>(p)); });
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

PushReceiver::~PushReceiver() {
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard lk(mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : threads_) t.join();
  for (int fd : conn_fds_) ::close(fd);
}

std::string PushReceiver::url(const std::string& path) const {
  return std::string(ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<Received> PushReceiver::received() {
  std::lock_guard lk(mu_);
  return received_;
}

void PushReceiver::Accept() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard lk(mu_);
    conn_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void PushReceiver::Serve(int fd) {
  Io io{fd};
  if (ctx_) {
    io.ssl = SSL_new(static_cast<SSL_CTX*>(ctx_.get()));
    SSL_set_fd(io.ssl, fd);
    if (SSL_accept(io.ssl) != 1) {  // e.g. cronq refused the certificate
      SSL_free(io.ssl);
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
  std::string buf;
  char chunk[16384];
  while (!stopping_) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      long n = io.Read(chunk, sizeof chunk);
      if (n <= 0) goto done;
      buf.append(chunk, static_cast<size_t>(n));
    }
    {
      Received r;
      std::string head = buf.substr(0, head_end);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      r.method = first.substr(0, first.find(' '));
      r.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          r.headers[Lower(line.substr(0, colon))] = v;
        }
        pos = e + 2;
      }
      const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
      buf.erase(0, head_end + 4);
      while (buf.size() < length) {
        long n = io.Read(chunk, sizeof chunk);
        if (n <= 0) goto done;
        buf.append(chunk, static_cast<size_t>(n));
      }
      r.body = buf.substr(0, length);
      buf.erase(0, length);
      r.at = std::chrono::steady_clock::now();
      r.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
      const int now_in = ++in_flight_;
      for (int m = max_in_flight_; now_in > m && !max_in_flight_.compare_exchange_weak(m, now_in);) {
      }
      {
        std::lock_guard lk(mu_);
        received_.push_back(r);
      }
      Reply reply = handler_(r);
      for (int waited = 0; waited < reply.delay_ms && !stopping_; waited += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Length: " +
                        std::to_string(reply.body.size()) + "\r\n";
      for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
      out += "\r\n" + reply.body;
      const bool written = io.WriteAll(out);
      --in_flight_;
      if (!written) break;
    }
  }
done:
  if (io.ssl) SSL_free(io.ssl);
  ::shutdown(fd, SHUT_RDWR);  // closed by the destructor, so the number is not reused meanwhile
}

}  // namespace cronq::testing
