// spsc_bench: the native baseline for `npm run bench -- ring`.
//
// Two measurements on the same ring (ring.hpp), both between two threads:
//  1. streaming: the producer writes N messages of --size bytes (8-byte words: word 0 = message number,
//     word w = number + w) and publishes every --batch messages; the consumer reads in batches of up to
//     1024, checks each message's last word and sums the message numbers. Throughput = sent / (consumer's
//     last read − producer's first claim), both on steady_clock. The sum must equal sent(sent−1)/2 (else
//     exit 3). --max-stream-seconds stops the producer early on a loaded host ("messages" = how many sent).
//  2. ping-pong: one thread sends a message on ring A, the other copies it back on ring B; the first waits
//     for the echo (spinning) and records the round trip. One-way hop latency is reported as half the round
//     trip (two threads cannot compare clocks finer than that honestly). The first 10 % (at most 10 000)
//     round trips warm up and are not recorded; the run stops at --round-trips or --max-seconds.
// --order seq-cst builds both rings in their parkable form: every publish and cursor store sequentially
// consistent and followed by a load of the other side's parked flag (the rings never park here). That is
// the engine's protocol under the JavaScript memory model, whose Atomics offer no release store: the same
// work as the engine's ring, in C++, to tell the fences from the rest of the engine's cost.
// Prints one JSON line.
#include <cstring>
#include <thread>

#include "common.hpp"
#include "ring.hpp"

namespace {

constexpr uint64_t kStop = ~uint64_t(0);
constexpr uint32_t kSpins = 4096;  // a few µs: far above an uncontended hop, short when the other thread is descheduled

inline void write_msg(uint8_t* s, uint64_t n, uint32_t words) {
  for (uint32_t w = 0; w < words; w++) {
    const uint64_t v = n + w;
    std::memcpy(s + 8 * w, &v, 8);
  }
}

inline uint64_t word(const uint8_t* s, uint32_t w) {
  uint64_t v;
  std::memcpy(&v, s + 8 * w, 8);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  nb::Args args(argc, argv, {"messages", "round-trips", "size", "capacity", "batch", "max-seconds", "max-stream-seconds", "initial-seq", "order"});
  const std::string order = args.str("order", "release");
  if (order != "release" && order != "seq-cst") args.fail("--order must be release or seq-cst");
  const bool seq_cst = order == "seq-cst";
  const uint64_t messages = static_cast<uint64_t>(args.num("messages", 10'000'000));
  const uint64_t round_trips = static_cast<uint64_t>(args.num("round-trips", 1'000'000));
  const uint32_t size = static_cast<uint32_t>(args.num("size", 128));
  const uint32_t capacity = static_cast<uint32_t>(args.num("capacity", 1024));
  const uint32_t batch = static_cast<uint32_t>(args.num("batch", 64));
  const double max_seconds = args.num("max-seconds", 10);
  // Streaming stops early after this long (a loaded host); the figures then cover the messages sent.
  const double max_stream_seconds = args.num("max-stream-seconds", 1e9);
  // First ring sequence: a value just below 2^32 makes the streaming run cross the 32-bit wrap (tests).
  const double initial = args.num("initial-seq", 0);
  if (initial > 4294967295.0) args.fail("--initial-seq must fit in 32 bits");
  const uint32_t initial_seq = static_cast<uint32_t>(initial);
  if (size < 8 || size % 8 != 0 || size > 4096) args.fail("--size must be a multiple of 8 between 8 and 4096");
  if (batch < 1) args.fail("--batch must be at least 1");
  if (messages < 1 || messages > (uint64_t(1) << 26) * 1000) args.fail("--messages out of range");
  const uint32_t words = size / 8;

  // ---- 1. streaming ----
  uint64_t checksum = 0, bad = 0;
  int64_t t_start = 0, t_end = 0;
  uint64_t sent = messages;
  {
    // How many the consumer must read; the producer lowers it (before its last publish) if it stops early.
    std::atomic<uint64_t> target{messages};
    nb::Ring ring(capacity, size, initial_seq, seq_cst);
    std::thread consumer([&] {
      nb::Backoff backoff(kSpins);
      uint64_t received = 0, sum = 0, wrong = 0;
      auto on_msg = [&](const uint8_t* s, uint32_t) {
        const uint64_t n = word(s, 0);
        sum += n;
        if (word(s, words - 1) != n + words - 1) wrong++;
      };
      while (received < target.load(std::memory_order_acquire)) {
        const uint32_t got = ring.poll(on_msg, 1024);
        if (got) {
          received += got;
          backoff.reset();
        } else {
          backoff.idle();
        }
      }
      t_end = nb::now_ns();
      checksum = sum;
      bad = wrong;
    });
    nb::Backoff backoff(kSpins);
    uint32_t pending = 0;
    t_start = nb::now_ns();
    const int64_t stream_deadline = t_start + static_cast<int64_t>(std::min(max_stream_seconds, 1e6) * 1e9);
    for (uint64_t i = 0; i < messages; i++) {
      if ((i & 4095) == 0 && i > 0 && nb::now_ns() > stream_deadline) {
        sent = i;
        target.store(i, std::memory_order_release);
        break;
      }
      uint8_t* s;
      while (!(s = ring.try_claim())) {
        ring.publish();
        backoff.idle();
      }
      backoff.reset();
      write_msg(s, i, words);
      if (++pending == batch) {
        ring.publish();
        pending = 0;
      }
    }
    ring.publish();
    consumer.join();
  }
  const uint64_t expected = sent * (sent - 1) / 2;
  const double seconds = double(t_end - t_start) / 1e9;

  // ---- 2. ping-pong ----
  std::vector<uint64_t> rtt;
  uint64_t echo_bad = 0;
  const uint64_t warm = std::min<uint64_t>(round_trips / 10, 10'000);
  double pp_seconds = 0;
  if (round_trips > 0) {
    rtt.reserve(round_trips);
    nb::Ring a(capacity, size, 0, seq_cst), b(capacity, size, 0, seq_cst);
    std::thread ponger([&] {
      nb::Backoff backoff(kSpins);
      bool stop = false;
      auto echo = [&](const uint8_t* s, uint32_t) {
        uint8_t* d;
        while (!(d = b.try_claim())) {
        }
        std::memcpy(d, s, size);
        b.publish();
        if (word(s, 0) == kStop) stop = true;
      };
      while (!stop) {
        if (a.poll(echo, 1024)) backoff.reset();
        else backoff.idle();
      }
    });
    nb::Backoff backoff(kSpins);
    uint64_t echoed = 0;
    auto on_echo = [&](const uint8_t* s, uint32_t) {
      echoed = word(s, 0);
      if (word(s, words - 1) != echoed + words - 1) echo_bad++;
    };
    const int64_t pp_start = nb::now_ns();
    const int64_t deadline = pp_start + static_cast<int64_t>(max_seconds * 1e9);
    for (uint64_t i = 0; i < warm + round_trips; i++) {
      const int64_t t0 = nb::now_ns();
      uint8_t* s;
      while (!(s = a.try_claim())) {
      }
      write_msg(s, i, words);
      a.publish();
      while (!b.poll(on_echo, 1)) backoff.idle();
      backoff.reset();
      const int64_t t1 = nb::now_ns();
      if (echoed != i) echo_bad++;
      if (i >= warm) rtt.push_back(static_cast<uint64_t>(t1 - t0));
      if ((i & 1023) == 0 && t1 > deadline) break;
    }
    pp_seconds = double(nb::now_ns() - pp_start) / 1e9;
    uint8_t* s;
    while (!(s = a.try_claim())) {
    }
    write_msg(s, kStop, 1);
    a.publish();
    ponger.join();
    std::sort(rtt.begin(), rtt.end());
  }
  const uint64_t p50 = nb::percentile(rtt, 50), p99 = nb::percentile(rtt, 99), p999 = nb::percentile(rtt, 99.9);
  const uint64_t mx = rtt.empty() ? 0 : rtt.back();
  const bool ok = checksum == expected && bad == 0 && echo_bad == 0;

  std::printf(
      "{\"name\":\"native-spsc\",\"messages\":%llu,\"seconds\":%.6f,\"msgs_per_s\":%.0f,"
      "\"checksum\":%llu,\"expected_checksum\":%llu,\"bad_messages\":%llu,\"checksum_ok\":%s,"
      "\"round_trips\":%llu,\"ping_pong_seconds\":%.6f,\"rtt_p50_ns\":%llu,\"rtt_p99_ns\":%llu,\"rtt_p999_ns\":%llu,\"rtt_max_ns\":%llu,"
      "\"p50_ns\":%.1f,\"p99_ns\":%.1f,\"p999_ns\":%.1f,"
      "\"size\":%u,\"slot_size\":%u,\"capacity\":%u,\"batch\":%u,\"initial_seq\":%u,\"order\":\"%s\",\"wait\":\"spin %u polls, then sched_yield\"}\n",
      (unsigned long long)sent, seconds, seconds > 0 ? double(sent) / seconds : 0.0, (unsigned long long)checksum,
      (unsigned long long)expected, (unsigned long long)(bad + echo_bad), ok ? "true" : "false", (unsigned long long)rtt.size(),
      pp_seconds, (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)p999, (unsigned long long)mx, p50 / 2.0,
      p99 / 2.0, p999 / 2.0, size, size, capacity, batch, initial_seq, order.c_str(), kSpins);
  return ok ? 0 : 3;
}
