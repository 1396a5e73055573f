// A single-producer ring with the same design as engine/ring/ (see RingLayout.ts, RingProducer.ts,
// RingReader.ts): power-of-two slots, a per-slot sequence stamp written at claim time, the producer cursor
// and the reader cursor each alone on a 128-byte block (x86 prefetches lines in adjacent pairs), 32-bit
// sequences compared as signed differences so they are safe across the wrap, acquire/release publication,
// and batch reads that publish the reader cursor once per batch. One reader only: this is the native floor
// for the engine's lossless single-reader hop, not a port of every engine feature (no lossy mode, no park).
#pragma once

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <linux/futex.h>
#include <sched.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace nb {

constexpr std::size_t kLine = 128;

inline int32_t seq_diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

/** Sleeps while *word == expected, at most timeout_us (the engine's Atomics.wait is the same futex). */
inline void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, long timeout_us) {
  struct timespec ts = {timeout_us / 1000000, (timeout_us % 1000000) * 1000};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, &ts, nullptr, 0);
}
inline void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

class Ring {
 public:
  /**
   * `parkable`: either side may park (futex) when it has nothing to do, and the other side rings it only
   * when it flagged itself parked, exactly as the engine's Doorbell protocol. That needs sequentially
   * consistent cursor stores (store cursor, then load the flag; store the flag, then load the cursor), which
   * is what the engine's Atomics.store pays on every publish; a non-parkable ring uses plain release stores.
   */
  Ring(uint32_t capacity, uint32_t slot_size, uint32_t initial_seq = 0, bool parkable = false) : parkable_(parkable) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || capacity > (1u << 30))
      throw std::invalid_argument("ring capacity must be a power of two between 2 and 2^30");
    if (slot_size < 8 || slot_size % 8 != 0) throw std::invalid_argument("ring slot size must be a multiple of 8");
    geo_.capacity = capacity;
    geo_.mask = capacity - 1;
    geo_.slot_size = slot_size;
    geo_.slots = static_cast<uint8_t*>(std::aligned_alloc(kLine, std::size_t(capacity) * slot_size));
    geo_.stamps = static_cast<std::atomic<uint32_t>*>(std::aligned_alloc(kLine, ((capacity * 4 + kLine - 1) / kLine) * kLine));
    if (!geo_.slots || !geo_.stamps) throw std::bad_alloc();
    // Every stamp starts one lap behind its first sequence, as in RingBuffer.create.
    for (uint32_t i = 0; i < capacity; i++) new (&geo_.stamps[i]) std::atomic<uint32_t>(initial_seq + i - capacity);
    published_.v.store(initial_seq, std::memory_order_relaxed);
    read_.v.store(initial_seq, std::memory_order_relaxed);
    prod_.next = initial_seq;
    prod_.cached_gate = initial_seq;
    rd_.cursor = initial_seq;
  }
  ~Ring() {
    std::free(geo_.slots);
    std::free(geo_.stamps);
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  uint32_t capacity() const { return geo_.capacity; }
  uint32_t slot_size() const { return geo_.slot_size; }

  // ---- producer side (one thread) ----

  /** The claimed slot, or nullptr when the reader is a whole ring behind. Never blocks. */
  uint8_t* try_claim() {
    const uint32_t seq = prod_.next;
    if (seq_diff(seq, prod_.cached_gate) >= static_cast<int32_t>(geo_.capacity)) {
      prod_.cached_gate = read_.v.load(std::memory_order_acquire);
      if (seq_diff(seq, prod_.cached_gate) >= static_cast<int32_t>(geo_.capacity)) return nullptr;
    }
    const uint32_t idx = seq & geo_.mask;
    // The stamp lets a lossy reader detect a lap; kept so the native ring pays what the engine's pays.
    geo_.stamps[idx].store(seq, std::memory_order_relaxed);
    prod_.next = seq + 1;
    return geo_.slots + std::size_t(idx) * geo_.slot_size;
  }

  /** Makes every claimed slot visible with one store, and wakes the reader if it is parked. */
  void publish() {
    if (!parkable_) {
      published_.v.store(prod_.next, std::memory_order_release);
      return;
    }
    if (published_.v.load(std::memory_order_relaxed) == prod_.next) return;
    published_.v.store(prod_.next, std::memory_order_seq_cst);
    if (bells_.reader_parked.load(std::memory_order_seq_cst)) {
      bells_.reader_bell.fetch_add(1, std::memory_order_seq_cst);
      futex_wake_all(&bells_.reader_bell);
    }
  }

  /** Producer: sleep until the reader frees a slot (or timeout_us). Parkable rings only. */
  void park_producer(long timeout_us) {
    const uint32_t v = bells_.producer_bell.load(std::memory_order_seq_cst);
    bells_.producer_parked.store(1, std::memory_order_seq_cst);
    if (seq_diff(prod_.next, read_.v.load(std::memory_order_seq_cst)) >= static_cast<int32_t>(geo_.capacity))
      futex_wait(&bells_.producer_bell, v, timeout_us);
    bells_.producer_parked.store(0, std::memory_order_relaxed);
  }

  /** Reader: sleep until the producer publishes (or timeout_us). Parkable rings only. */
  void park_reader(long timeout_us) {
    const uint32_t v = bells_.reader_bell.load(std::memory_order_seq_cst);
    bells_.reader_parked.store(1, std::memory_order_seq_cst);
    if (seq_diff(published_.v.load(std::memory_order_seq_cst), rd_.cursor) <= 0) futex_wait(&bells_.reader_bell, v, timeout_us);
    bells_.reader_parked.store(0, std::memory_order_relaxed);
  }

  // ---- reader side (one thread) ----

  /** Calls f(slot, seq) for up to max_batch published messages; one cursor store for the whole batch. */
  template <class F>
  uint32_t poll(F&& f, uint32_t max_batch) {
    const uint32_t start = rd_.cursor;
    int32_t n = seq_diff(published_.v.load(std::memory_order_acquire), start);
    if (n <= 0) return 0;
    if (static_cast<uint32_t>(n) > max_batch) n = static_cast<int32_t>(max_batch);
    for (int32_t i = 0; i < n; i++) {
      const uint32_t seq = start + static_cast<uint32_t>(i);
      f(static_cast<const uint8_t*>(geo_.slots + std::size_t(seq & geo_.mask) * geo_.slot_size), seq);
    }
    rd_.cursor = start + static_cast<uint32_t>(n);
    if (!parkable_) {
      read_.v.store(rd_.cursor, std::memory_order_release);
    } else {
      read_.v.store(rd_.cursor, std::memory_order_seq_cst);
      if (bells_.producer_parked.load(std::memory_order_seq_cst)) {
        bells_.producer_bell.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_all(&bells_.producer_bell);
      }
    }
    return static_cast<uint32_t>(n);
  }

 private:
  struct alignas(kLine) Cursor {
    std::atomic<uint32_t> v{0};
  };
  struct alignas(kLine) Geometry {  // written once, then read-only on both sides
    uint32_t capacity = 0, mask = 0, slot_size = 0;
    uint8_t* slots = nullptr;
    std::atomic<uint32_t>* stamps = nullptr;
  };
  struct alignas(kLine) ProducerLocal {
    uint32_t next = 0, cached_gate = 0;
  };
  struct alignas(kLine) ReaderLocal {
    uint32_t cursor = 0;
  };
  // Parked flags and futex words, on their own block: written only when a side parks or is rung.
  struct alignas(kLine) Bells {
    std::atomic<uint32_t> reader_parked{0}, reader_bell{0}, producer_parked{0}, producer_bell{0};
  };
  Geometry geo_;
  bool parkable_;
  Bells bells_;
  Cursor published_;  // next sequence to be published: everything before it is readable
  Cursor read_;       // next sequence the reader will read
  ProducerLocal prod_;
  ReaderLocal rd_;
};

static_assert(sizeof(std::atomic<uint32_t>) == 4, "stamps are 32-bit words");

/**
 * Spin, then yield, then (optionally) park. Pure spinning is right for two threads on two idle cores; with
 * more busy threads than cores (pipeline3 runs four on this two-core machine) a spinning thread would hold
 * its core for a whole time slice while the thread it waits for cannot run, so after `spins` empty polls
 * each further empty poll calls sched_yield; after `yields` of those, `idle()` returns false and the caller
 * parks (a thread that only yields stays runnable and still competes for the CPU with everything else on a
 * loaded machine). No pause instruction: the JavaScript spin loops have none either.
 */
class Backoff {
 public:
  explicit Backoff(uint32_t spins, uint32_t yields = UINT32_MAX) : spins_(spins), yields_(yields) {}
  /** One empty poll's worth of waiting; false when the caller should park now. */
  bool idle() {
    if (n_ < spins_) {
      n_++;
      return true;
    }
    if (yields_ != UINT32_MAX && n_ - spins_ >= yields_) {
      n_ = spins_;  // after the park, yield again before the next one
      return false;
    }
    n_++;
    sched_yield();
    return true;
  }
  void reset() { n_ = 0; }

 private:
  uint32_t spins_;
  uint32_t yields_;
  uint32_t n_ = 0;
};

}  // namespace nb
