// The TWS API client side the native pipeline needs to read the e2e feeder's socket the way the engine
// does: the handshake (API\0 + version range, START_API), market-depth and tick-by-tick subscriptions, and
// the frame parser (4-byte big-endian length, then NUL-terminated text fields) for the frames the feeder
// sends. No allocation per frame: fields are parsed in place from the receive buffer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace nb {

constexpr int kTwsDepthL2 = 13;     // MARKET_DEPTH_L2 (incoming)
constexpr int kTwsTickByTick = 99;  // TICK_BY_TICK (incoming)
constexpr int kDepthReqBase = 1000;

/** A client frame: fields each followed by NUL, prefixed with the body length (big-endian u32). */
inline std::string tws_frame(const std::vector<std::string>& fields) {
  std::string body;
  for (auto& f : fields) {
    body += f;
    body.push_back('\0');
  }
  const uint32_t n = htonl(static_cast<uint32_t>(body.size()));
  return std::string(reinterpret_cast<const char*>(&n), 4) + body;
}

inline bool send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t w = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

/** Connects to 127.0.0.1:port (TCP_NODELAY, as the engine's socket); -1 on failure. */
inline int tws_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/** The 12-field contract block of a client request for a US stock. */
inline void push_contract(std::vector<std::string>& f, const std::string& symbol) {
  for (const char* v : {"0", "", "STK", "", "0", "", "", "SMART", "", "USD", "", ""}) f.emplace_back(v);
  f[f.size() - 11] = symbol;
}

/** Opens the API session: handshake, START_API, then depth + tick-by-tick subscriptions for each symbol. */
inline bool tws_subscribe(int fd, const std::vector<std::string>& symbols) {
  const std::string range = "v100..193";
  std::string hello = "API";
  hello.push_back('\0');
  const uint32_t n = htonl(static_cast<uint32_t>(range.size()));
  hello.append(reinterpret_cast<const char*>(&n), 4);
  hello += range;
  if (!send_all(fd, hello)) return false;
  // The server's first frame (server version, time) must arrive before START_API.
  uint8_t len[4];
  std::size_t got = 0;
  while (got < 4) {
    const ssize_t r = ::recv(fd, len + got, 4 - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  uint32_t body = (uint32_t(len[0]) << 24) | (uint32_t(len[1]) << 16) | (uint32_t(len[2]) << 8) | len[3];
  std::vector<char> skip(body);
  got = 0;
  while (got < body) {
    const ssize_t r = ::recv(fd, skip.data() + got, body - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  if (!send_all(fd, tws_frame({"71", "2", "0", ""}))) return false;
  for (std::size_t i = 0; i < symbols.size(); i++) {
    std::vector<std::string> d = {"10", "5", std::to_string(kDepthReqBase + i)};
    push_contract(d, symbols[i]);
    d.insert(d.end(), {"20", "1", ""});
    if (!send_all(fd, tws_frame(d))) return false;
    for (const char* type : {"AllLast", "BidAsk"}) {
      std::vector<std::string> t = {"97", std::to_string(2000 + 2 * i + (type[0] == 'B'))};
      push_contract(t, symbols[i]);
      t.insert(t.end(), {type, "0", "0"});
      if (!send_all(fd, tws_frame(t))) return false;
    }
  }
  return true;
}

/** One MARKET_DEPTH_L2 update, parsed from its fields. */
struct DepthL2 {
  int symbol;
  int position;
  int operation;  // 0 insert, 1 update, 2 delete
  int side;       // 0 ask, 1 bid
  double price;
  double size;
};

/** Field cursor over one frame body (NUL-terminated fields). */
class Fields {
 public:
  Fields(const char* p, const char* end) : p_(p), end_(end) {}
  /** The next field, or nullptr past the end. */
  const char* next() {
    if (p_ >= end_) return nullptr;
    const char* f = p_;
    const void* z = std::memchr(p_, 0, static_cast<std::size_t>(end_ - p_));
    p_ = z ? static_cast<const char*>(z) + 1 : end_;
    return f;
  }
  long integer() {
    const char* f = next();
    return f ? std::strtol(f, nullptr, 10) : -1;
  }
  double real() {
    const char* f = next();
    return f ? std::strtod(f, nullptr) : 0.0;
  }

 private:
  const char* p_;
  const char* end_;
};

/** Parses a frame body; true (and `out` filled) for a market-depth L2 update. `id` gets the message id. */
inline bool parse_depth_l2(const char* body, std::size_t n, int& id, DepthL2& out) {
  Fields f(body, body + n);
  id = static_cast<int>(f.integer());
  if (id != kTwsDepthL2) return false;
  f.next();  // version
  out.symbol = static_cast<int>(f.integer()) - kDepthReqBase;
  out.position = static_cast<int>(f.integer());
  f.next();  // market maker
  out.operation = static_cast<int>(f.integer());
  out.side = static_cast<int>(f.integer());
  out.price = f.real();
  out.size = f.real();
  return true;
}

/** A position-indexed book side (IB semantics: insert shifts down, delete shifts up), fixed depth. */
struct BookSide {
  static constexpr int kRows = 64;
  double px[kRows] = {};
  double sz[kRows] = {};
  int n = 0;
  void apply(int pos, int op, double price, double size) {
    if (pos < 0 || pos >= kRows) return;
    if (op == 0) {
      if (n == kRows) n--;
      if (pos > n) pos = n;
      std::memmove(px + pos + 1, px + pos, sizeof(double) * (n - pos));
      std::memmove(sz + pos + 1, sz + pos, sizeof(double) * (n - pos));
      px[pos] = price;
      sz[pos] = size;
      n++;
    } else if (op == 1) {
      if (pos >= n) return;
      px[pos] = price;
      sz[pos] = size;
    } else if (op == 2) {
      if (pos >= n) return;
      std::memmove(px + pos, px + pos + 1, sizeof(double) * (n - pos - 1));
      std::memmove(sz + pos, sz + pos + 1, sizeof(double) * (n - pos - 1));
      n--;
    }
  }
};

}  // namespace nb
