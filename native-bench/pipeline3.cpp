// pipeline3: the native floor for the end-to-end latency harness (issue 7). Four threads joined by three
// rings of the ring.hpp design, 128-byte messages on every hop:
//
//   generator ──ring1──▶ book ──ring2──▶ analytics ──ring3──▶ signal
//
// The generator sends depth updates at --rate per second and stamps each with its INTENDED send time
// t0 + i/rate, not the time it got round to sending it, so a stall anywhere (a full ring, a descheduled
// thread) shows up as latency instead of silently slowing the schedule (no coordinated omission). Each stage
// does a small piece of real work (book: a 10-level book; analytics: EWMA mid and top-of-book imbalance;
// signal: a z-like score against a threshold), records now − intended in its own log-linear histogram just
// after that work, and forwards the message. --rate 0 sends as fast as the rings accept and times each
// message from when it was written (there is no schedule to fall behind).
//
// Waits (ring.hpp Backoff): spin --spins empty polls, then sched_yield per poll, since four busy threads on a
// two-core machine would otherwise spin away whole time slices while the thread they wait for is not running;
// with --wait park (the default) a thread that has yielded --yields times parks on a futex and is woken by
// the other side only if it flagged itself parked (the engine's Doorbell protocol, the engine's spin-park
// actors). --wait yield never parks: on a loaded machine its always-runnable threads queue behind everything
// else and the tail grows to milliseconds. The generator sleeps (clock_nanosleep) until 100 µs before a send
// time that is more than 150 µs away, then spins/yields to it.
// Prints one JSON line.
#include <cmath>
#include <cstring>
#include <thread>

#include <sys/epoll.h>

#include <atomic>
#include <fstream>

#include "common.hpp"
#include "histogram.hpp"
#include "ring.hpp"
#include "tws.hpp"

namespace {

constexpr uint32_t kSize = 128;
constexpr uint32_t kMaxBatch = 256;
constexpr uint32_t kData = 1, kEnd = 2;
constexpr int kLevels = 10;

// Message layout (byte offsets), one 128-byte slot.
struct Msg {
  uint64_t seq;          // 0
  int64_t intended_ns;   // 8
  uint32_t type;         // 16
  uint32_t position;     // 20: book level 0..9
  uint32_t side;         // 24: 0 bid, 1 ask
  uint32_t pad0;         // 28
  double price;          // 32
  double size;           // 40
  double bid, ask;       // 48, 56: set by book
  double bid_size, ask_size;  // 64, 72
  double mid_ewma;       // 80: set by analytics
  double imbalance;      // 88
  double score;          // 96: set by signal
  int64_t book_ns;       // 104
  int64_t analytics_ns;  // 112
  int64_t spare;         // 120
};
static_assert(sizeof(Msg) == kSize, "one message fills one 128-byte slot");

constexpr long kParkUs = 1000;  // a park's upper bound; wake-ups are not lost, this only bounds a surprise

/** Claims a slot, waiting (spin, yield, park) for the reader; nullptr after 1 s (the caller counts a drop). */
uint8_t* claim_wait(nb::Ring& r, nb::Backoff& b, bool park) {
  uint8_t* s = r.try_claim();
  if (s) return s;
  r.publish();  // the reader we wait for may be waiting for what we hold
  const int64_t give_up = nb::now_ns() + 1'000'000'000;
  while (!(s = r.try_claim())) {
    if (!b.idle() && park) r.park_producer(kParkUs);
    if (nb::now_ns() > give_up) return nullptr;
  }
  b.reset();
  return s;
}

struct StageResult {
  nb::Histogram hist;
  uint64_t dropped = 0;
  uint64_t signals = 0;
};

/**
 * One pipeline stage: read `in` in batches, run `work` on each data message (a private copy in the
 * output slot), record the latency, forward; one publish on `out` per batch. Stops after the end marker.
 */
template <class Work>
void stage(nb::Ring& in, nb::Ring* out, uint32_t spins, uint32_t yields, bool park, StageResult& res, Work work) {
  nb::Backoff backoff(spins, yields), out_backoff(spins, yields);
  bool done = false;
  Msg scratch;
  auto on_msg = [&](const uint8_t* s, uint32_t) {
    uint8_t* d = out ? claim_wait(*out, out_backoff, park) : reinterpret_cast<uint8_t*>(&scratch);
    if (!d) {  // downstream stuck for a second: drop and count rather than wedge
      res.dropped++;
      return;
    }
    std::memcpy(d, s, kSize);
    Msg* m = reinterpret_cast<Msg*>(d);
    if (m->type == kEnd) {
      done = true;
      return;
    }
    work(*m);
    res.hist.record(nb::now_ns() - m->intended_ns);
  };
  while (!done) {
    const uint32_t got = in.poll(on_msg, kMaxBatch);
    if (got) {
      if (out) out->publish();
      backoff.reset();
    } else if (!backoff.idle() && park) {
      in.park_reader(kParkUs);
    }
  }
  if (out) out->publish();
}


// ---- Socket mode (--tws-port): the e2e feeder's TWS frames over loopback, the engine's front-end ----------
//
//   socket read + parse + book ──ring──▶ analytics ──ring──▶ decision        (--socket-wait epoll, default)
//   socket busy-poll + parse + book + analytics + decision, one thread      (--socket-wait busy)
//
// The epoll variant waits for the socket in epoll_wait as Node's event loop does, and its three threads
// mirror the engine's default placement (market-depth, analytics, signals) with the spin-yield-park waits.
// The busy variant never sleeps: the physical limit of this host for the same work.
// Every depth update gets five stamps (socket receipt of its read, decoded, book applied, analytics
// updated, decision) in a preallocated array indexed by its depth ordinal, written as doubles (ns since
// --clock-origin, the engine's MonoClock origin: both are CLOCK_MONOTONIC) to --stamps at the end; the
// harness joins them with the feeder's intended send times. Progress (ticks decided) goes to stdout every
// 10 ms as {"decided":N}, the summary as the last line.

constexpr int kStamps = 5;  // receipt, decoded, book, analytics, decision

struct TwsMsg {  // one 128-byte slot between the socket thread and analytics / decision
  uint64_t ordinal;      // 0
  int64_t receipt_ns;    // 8
  uint32_t type;         // 16
  uint32_t symbol;       // 20
  int64_t decoded_ns;    // 24
  double bid, ask;       // 32, 40
  double bid_size, ask_size;  // 48, 56
  double mid_ewma;       // 64
  double imbalance;      // 72
  int64_t book_ns;       // 80
  int64_t analytics_ns;  // 88
  uint8_t pad[32];       // 96
};
static_assert(sizeof(TwsMsg) == kSize, "one message fills one 128-byte slot");

struct Analytics {
  double ewma[256] = {};
  void update(TwsMsg& m) {
    const double mid = (m.bid > 0 && m.ask > 0) ? (m.bid + m.ask) / 2 : (m.bid > 0 ? m.bid : m.ask);
    double& e = ewma[m.symbol & 255];
    e = e == 0 ? mid : e + 0.05 * (mid - e);
    const double tot = m.bid_size + m.ask_size;
    m.mid_ewma = e;
    m.imbalance = tot > 0 ? (m.bid_size - m.ask_size) / tot : 0;
  }
};

inline bool decide(const TwsMsg& m) {
  const double mid = (m.bid + m.ask) / 2;
  return std::fabs((mid - m.mid_ewma) / 0.01 + m.imbalance) > 1.5;
}

std::vector<std::string> split_symbols(const std::string& s) {
  std::vector<std::string> out;
  std::size_t a = 0;
  while (a <= s.size()) {
    const std::size_t b = s.find(',', a);
    const std::string x = s.substr(a, b == std::string::npos ? std::string::npos : b - a);
    if (!x.empty()) out.push_back(x);
    if (b == std::string::npos) break;
    a = b + 1;
  }
  return out;
}

int run_tws(const nb::Args& args) {
  const int port = static_cast<int>(args.num("tws-port", 0));
  const std::string wait_mode = args.str("socket-wait", "epoll");
  if (wait_mode != "epoll" && wait_mode != "busy") args.fail("--socket-wait must be epoll or busy, got " + wait_mode);
  const bool busy = wait_mode == "busy";
  const int64_t origin = std::strtoll(args.str("clock-origin", "0").c_str(), nullptr, 10);
  const uint64_t cap = static_cast<uint64_t>(args.num("ticks", 1'000'000));
  const std::string stamps_file = args.str("stamps", "");
  const std::vector<std::string> symbols = split_symbols(args.str("symbols", "SPY"));
  const uint32_t capacity = static_cast<uint32_t>(args.num("capacity", 1024));
  const uint32_t spins = static_cast<uint32_t>(args.num("spins", 256));
  const uint32_t yields = static_cast<uint32_t>(args.num("yields", 16));
  if (stamps_file.empty()) args.fail("--stamps FILE is required with --tws-port");

  std::vector<double> stamps(cap * kStamps, 0.0);  // preallocated: nothing allocates per tick
  auto at = [&](uint64_t ord, int k) -> double& { return stamps[ord * kStamps + k]; };
  const auto rel = [origin](int64_t t) { return double(t - origin); };
  std::atomic<uint64_t> decided{0};
  uint64_t signals = 0, depth = 0, ticks = 0, other = 0, beyond = 0, reads = 0;

  const int fd = nb::tws_connect(port);
  if (fd < 0 || !nb::tws_subscribe(fd, symbols)) {
    std::fprintf(stderr, "cannot open a TWS session on 127.0.0.1:%d\n", port);
    return 3;
  }
  std::fflush(stdout);

  nb::Ring r2(capacity, kSize, 0, true), r3(capacity, kSize, 0, true);
  StageResult analytics_res, signal_res;
  std::thread analytics_thread, decision_thread;
  if (!busy) {
    analytics_thread = std::thread([&] {
      Analytics a;
      stage(r2, &r3, spins, yields, true, analytics_res, [&](Msg& raw) {
        TwsMsg& m = reinterpret_cast<TwsMsg&>(raw);
        a.update(m);
        m.analytics_ns = nb::now_ns();
      });
    });
    decision_thread = std::thread([&] {
      stage(r3, nullptr, spins, yields, true, signal_res, [&](Msg& raw) {
        TwsMsg& m = reinterpret_cast<TwsMsg&>(raw);
        if (decide(m)) signals++;
        const int64_t now = nb::now_ns();
        if (m.ordinal < cap) {
          at(m.ordinal, 0) = rel(m.receipt_ns);
          at(m.ordinal, 1) = rel(m.decoded_ns);
          at(m.ordinal, 2) = rel(m.book_ns);
          at(m.ordinal, 3) = rel(m.analytics_ns);
          at(m.ordinal, 4) = rel(now);
        }
        decided.fetch_add(1, std::memory_order_relaxed);
      });
    });
  }

  // Progress for the harness (quiescence, the maximum-rate probe): this thread only prints.
  std::atomic<bool> reading{true};
  std::thread progress([&] {
    while (reading.load(std::memory_order_relaxed)) {
      std::printf("{\"decided\":%llu}\n", (unsigned long long)decided.load(std::memory_order_relaxed));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });

  std::vector<nb::BookSide> bids(symbols.size()), asks(symbols.size());
  Analytics inline_analytics;
  nb::Backoff out_backoff(spins, yields);
  std::vector<char> buf(1 << 20);
  std::size_t have = 0;
  const int ep = busy ? -1 : epoll_create1(0);
  if (!busy) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  bool open = true;
  while (open) {
    if (!busy) {
      epoll_event ev;
      if (epoll_wait(ep, &ev, 1, -1) <= 0) continue;
    }
    const ssize_t r = ::recv(fd, buf.data() + have, buf.size() - have, MSG_DONTWAIT);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      break;
    }
    const int64_t receipt = nb::now_ns();  // one stamp per socket read, as the engine's arrival time
    reads++;
    have += static_cast<std::size_t>(r);
    std::size_t off = 0;
    uint32_t batch = 0;
    while (have - off >= 4) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(buf.data() + off);
      const uint32_t body = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
      if (have - off - 4 < body) break;
      int id = 0;
      nb::DepthL2 d{};
      const bool is_depth = nb::parse_depth_l2(buf.data() + off + 4, body, id, d);
      off += 4 + body;
      if (!is_depth) {
        if (id == nb::kTwsTickByTick) ticks++;
        else other++;
        continue;
      }
      const int64_t decoded = nb::now_ns();
      const uint64_t ord = depth++;
      if (ord >= cap) beyond++;
      if (d.symbol < 0 || d.symbol >= static_cast<int>(symbols.size())) continue;
      (d.side ? bids : asks)[d.symbol].apply(d.position, d.operation, d.price, d.size);
      TwsMsg local;
      TwsMsg* m = &local;
      uint8_t* slot = nullptr;
      if (!busy) {
        slot = claim_wait(r2, out_backoff, true);
        if (!slot) continue;  // analytics stuck for a second: the tick has no stamps (counted as missing)
        m = reinterpret_cast<TwsMsg*>(slot);
      }
      const nb::BookSide& b = bids[d.symbol];
      const nb::BookSide& a = asks[d.symbol];
      m->ordinal = ord;
      m->type = kData;
      m->symbol = static_cast<uint32_t>(d.symbol);
      m->receipt_ns = receipt;
      m->decoded_ns = decoded;
      m->bid = b.n ? b.px[0] : 0;
      m->ask = a.n ? a.px[0] : 0;
      m->bid_size = b.n ? b.sz[0] : 0;
      m->ask_size = a.n ? a.sz[0] : 0;
      m->book_ns = nb::now_ns();
      if (busy) {
        inline_analytics.update(*m);
        m->analytics_ns = nb::now_ns();
        if (decide(*m)) signals++;
        if (ord < cap) {
          at(ord, 0) = rel(receipt);
          at(ord, 1) = rel(decoded);
          at(ord, 2) = rel(m->book_ns);
          at(ord, 3) = rel(m->analytics_ns);
          at(ord, 4) = rel(nb::now_ns());
        }
        decided.fetch_add(1, std::memory_order_relaxed);
      } else if (++batch == 64) {
        r2.publish();
        batch = 0;
      }
    }
    if (!busy && batch) r2.publish();  // once per socket read, as the engine publishes its ring
    std::memmove(buf.data(), buf.data() + off, have - off);
    have -= off;
    if (have == buf.size()) open = false;  // a frame larger than the buffer: not from this feeder
  }
  ::close(fd);
  if (!busy) {
    uint8_t* s;
    while (!(s = claim_wait(r2, out_backoff, true))) {
    }
    std::memset(s, 0, kSize);
    reinterpret_cast<Msg*>(s)->type = kEnd;
    r2.publish();
    analytics_thread.join();
    decision_thread.join();
  }
  reading = false;
  progress.join();
  const uint64_t n = std::min<uint64_t>(depth, cap);
  std::ofstream out(stamps_file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(stamps.data()), static_cast<std::streamsize>(n * kStamps * sizeof(double)));
  out.close();
  std::printf(
      "{\"pipeline\":\"%s\",\"depth\":%llu,\"decided\":%llu,\"tick_by_tick\":%llu,\"other_frames\":%llu,\"reads\":%llu,"
      "\"beyond_capacity\":%llu,\"signals\":%llu,\"dropped\":%llu,\"stamps\":%llu,\"threads\":%d}\n",
      busy ? "native-busy" : "native", (unsigned long long)depth, (unsigned long long)decided.load(), (unsigned long long)ticks,
      (unsigned long long)other, (unsigned long long)reads, (unsigned long long)beyond, (unsigned long long)signals,
      (unsigned long long)(analytics_res.dropped + signal_res.dropped), (unsigned long long)n, busy ? 1 : 3);
  return out ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  nb::Args args(argc, argv, {"rate", "seconds", "count", "capacity", "spins", "yields", "wait", "tws-port", "socket-wait", "clock-origin", "ticks", "stamps", "symbols"});
  if (args.has("tws-port")) return run_tws(args);
  const uint64_t rate = static_cast<uint64_t>(args.num("rate", 10'000));
  const double seconds = args.num("seconds", 2);
  const uint32_t capacity = static_cast<uint32_t>(args.num("capacity", 1024));
  const uint32_t spins = static_cast<uint32_t>(args.num("spins", 256));
  const std::string wait = args.str("wait", "park");
  if (wait != "park" && wait != "yield") args.fail("--wait must be park or yield, got " + wait);
  const bool park = wait == "park";
  const uint32_t yields = park ? static_cast<uint32_t>(args.num("yields", 16)) : UINT32_MAX;
  // A fixed count wins; otherwise rate × seconds; at rate 0 without --count, run for --seconds.
  const bool by_time = !args.has("count") && rate == 0;
  const uint64_t count = args.has("count") ? static_cast<uint64_t>(args.num("count", 0)) : static_cast<uint64_t>(double(rate) * seconds);
  if (!by_time && count == 0) args.fail("nothing to send: give --count N or a positive --rate and --seconds");

  nb::Ring r1(capacity, kSize, 0, park), r2(capacity, kSize, 0, park), r3(capacity, kSize, 0, park);
  StageResult book_res, analytics_res, signal_res;

  std::thread book([&] {
    double bid_px[kLevels] = {}, bid_sz[kLevels] = {}, ask_px[kLevels] = {}, ask_sz[kLevels] = {};
    stage(r1, &r2, spins, yields, park, book_res, [&](Msg& m) {
      double* px = m.side ? ask_px : bid_px;
      double* sz = m.side ? ask_sz : bid_sz;
      px[m.position % kLevels] = m.price;
      sz[m.position % kLevels] = m.size;
      m.bid = bid_px[0];
      m.ask = ask_px[0];
      m.bid_size = bid_sz[0];
      m.ask_size = ask_sz[0];
      m.book_ns = nb::now_ns();
    });
  });
  std::thread analytics([&] {
    double ewma = 0;
    stage(r2, &r3, spins, yields, park, analytics_res, [&](Msg& m) {
      const double mid = (m.bid > 0 && m.ask > 0) ? (m.bid + m.ask) / 2 : (m.bid > 0 ? m.bid : m.ask);
      ewma = ewma == 0 ? mid : ewma + 0.05 * (mid - ewma);
      const double tot = m.bid_size + m.ask_size;
      m.mid_ewma = ewma;
      m.imbalance = tot > 0 ? (m.bid_size - m.ask_size) / tot : 0;
      m.analytics_ns = nb::now_ns();
    });
  });
  std::thread signal([&] {
    stage(r3, nullptr, spins, yields, park, signal_res, [&](Msg& m) {
      const double mid = (m.bid + m.ask) / 2;
      m.score = (mid - m.mid_ewma) / 0.01 + m.imbalance;
      if (std::fabs(m.score) > 1.5) signal_res.signals++;
    });
  });

  // Generator (this thread).
  nb::Backoff backoff(spins), claim_backoff(spins, yields);
  uint64_t sent = 0, dropped = 0;
  const int64_t t0 = nb::now_ns() + 1'000'000;  // 1 ms for the stage threads to reach their loops
  const int64_t stop_at = t0 + static_cast<int64_t>(seconds * 1e9);
  uint32_t pending = 0;
  for (uint64_t i = 0; by_time || i < count; i++) {
    int64_t intended = 0;
    if (rate > 0) {
      intended = t0 + static_cast<int64_t>(i * 1'000'000'000ull / rate);
      int64_t now = nb::now_ns();
      if (now < intended) {
        // Nothing else is due: publish what we hold, then wait for the send time.
        if (pending) {
          r1.publish();
          pending = 0;
        }
        while ((now = nb::now_ns()) < intended) {
          if (park && intended - now > 150'000) {
            const int64_t wake = intended - 100'000;
            struct timespec ts = {static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);  // steady_clock is CLOCK_MONOTONIC
          } else {
            backoff.idle();
          }
        }
        backoff.reset();
      }
    } else if (by_time && (i & 255) == 0 && nb::now_ns() > stop_at) {
      break;
    }
    uint8_t* s = claim_wait(r1, claim_backoff, park);
    if (!s) {
      dropped++;
      continue;
    }
    Msg* m = reinterpret_cast<Msg*>(s);
    std::memset(s, 0, kSize);
    m->seq = i;
    m->intended_ns = rate > 0 ? intended : nb::now_ns();
    m->type = kData;
    m->position = static_cast<uint32_t>(i % kLevels);
    m->side = static_cast<uint32_t>((i / kLevels) & 1);
    m->price = m->side ? 100.01 + 0.01 * m->position : 99.99 - 0.01 * m->position;
    m->size = double(100 + (i * 7919) % 900);
    sent++;
    // A burst that is already due goes out as one batch (as bytes from one socket read would).
    if (++pending == 64) {
      r1.publish();
      pending = 0;
    }
  }
  const int64_t gen_end = nb::now_ns();
  uint8_t* s;
  while (!(s = claim_wait(r1, claim_backoff, park))) {
  }
  std::memset(s, 0, kSize);
  reinterpret_cast<Msg*>(s)->type = kEnd;
  r1.publish();
  book.join();
  analytics.join();
  signal.join();

  const double gen_seconds = double(gen_end - t0) / 1e9;
  dropped += book_res.dropped + analytics_res.dropped + signal_res.dropped;
  std::printf(
      "{\"pipeline\":\"native\",\"rate\":%llu,\"messages\":%llu,\"seconds\":%.6f,\"achieved_rate\":%.0f,"
      "\"stages\":{\"tick_to_book\":%s,\"tick_to_analytics\":%s,\"tick_to_signal\":%s},\"dropped\":%llu,\"signals\":%llu,"
      "\"size\":%u,\"capacity\":%u,\"threads\":4,\"wait\":\"spin %u polls, then sched_yield%s\"}\n",
      (unsigned long long)rate, (unsigned long long)sent, gen_seconds, gen_seconds > 0 ? double(sent) / gen_seconds : 0.0,
      book_res.hist.json().c_str(), analytics_res.hist.json().c_str(), signal_res.hist.json().c_str(), (unsigned long long)dropped,
      (unsigned long long)signal_res.signals, kSize, capacity, spins,
      park ? (", park on a futex after " + std::to_string(yields) + " yields").c_str() : "");
  return 0;
}
