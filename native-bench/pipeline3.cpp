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

#include "common.hpp"
#include "histogram.hpp"
#include "ring.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  nb::Args args(argc, argv, {"rate", "seconds", "count", "capacity", "spins", "yields", "wait"});
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
